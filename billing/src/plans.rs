//! Plans: included quotas and overage prices, loaded from a JSON file.
//!
//! The format is the one of the built-in `billing/plans.json`:
//!
//! ```json
//! {
//!   "default": "free",
//!   "currency": "USD",
//!   "plans": [
//!     {
//!       "id": "pro", "name": "Pro", "price_cents": 9900, "enforcement": "soft",
//!       "included": { "mau": 1000, "messages": 1000000 },
//!       "overage": { "mau": { "unit": 1, "price_cents": 5 }, "messages": { "unit": 1000, "price_cents": 10 } }
//!     }
//!   ]
//! }
//! ```
//!
//! `default` (the plan of apps with none assigned) defaults to `"free"`; `currency` defaults to and must be
//! `"USD"`. In a plan, `included` and `overage` default to empty and their keys are [`Metric`] names. Unknown
//! fields and unknown metric names are errors, so a typo cannot silently change a price.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::{CURRENCY, Metric};

/// The built-in plans file (`billing/plans.json`), the default configuration and an example of the format.
pub const BUILTIN_PLANS_JSON: &str = include_str!("../plans.json");

/// Longest plan id accepted, in characters.
const MAX_ID_LEN: usize = 32;

/// What happens when usage goes beyond a plan's included quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Enforcement {
    /// Usage beyond the quota is allowed and billed as overage; new users over the MAU quota are admitted.
    Soft,
    /// Usage beyond the quota is not billed; new users over the MAU quota are refused.
    Hard,
}

/// Overage price of one metric: `price_cents` per started block of `unit` base units beyond the included amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overage {
    /// Size of a block in base units; must be greater than 0.
    pub unit: u64,
    /// Price of one started block, in cents.
    pub price_cents: u64,
}

/// One plan: a monthly price, included quotas and overage prices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Identifier stored with each app: 1 to 32 characters among `a-z`, `0-9`, `_` and `-`.
    pub id: String,
    /// Name shown to people, e.g. `"Pro"`.
    pub name: String,
    /// Monthly base fee, in cents.
    pub price_cents: u64,
    /// What happens beyond the included quotas.
    pub enforcement: Enforcement,
    /// Included amount per metric, in base units; a metric absent here is unlimited (but see [`Plan::overage`]:
    /// a priced metric absent here is billed from the first unit).
    #[serde(default)]
    pub included: BTreeMap<Metric, u64>,
    /// Overage price per metric; a metric absent here is never charged.
    #[serde(default)]
    pub overage: BTreeMap<Metric, Overage>,
    /// Whether a client may choose it in the console (default `true`); an
    /// operator's plan (e.g. `unmetered`) says `false` and only the operator
    /// assigns it (CLI, admin).
    #[serde(default = "yes")]
    pub self_service: bool,
}

fn yes() -> bool {
    true
}

impl Plan {
    /// The included amount of `m`, or `None` when the plan does not limit it.
    pub fn included(&self, m: Metric) -> Option<u64> {
        self.included.get(&m).copied()
    }

    /// The overage price of `m`, or `None` when usage beyond the quota is not charged.
    pub fn overage(&self, m: Metric) -> Option<Overage> {
        self.overage.get(&m).copied()
    }
}

/// Why a plans file was rejected.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// Not JSON, or not the plans format (unknown field, unknown metric, wrong type, missing field).
    #[error("invalid plans file: {0}")]
    Json(#[from] serde_json::Error),
    /// Well-formed, but the content breaks a rule (duplicate id, unknown default plan, zero overage unit, ...).
    #[error("invalid plans configuration: {0}")]
    Invalid(String),
}

/// The plans file as written, before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlansFile {
    #[serde(default = "default_plan_id")]
    default: String,
    #[serde(default)]
    signup: Option<String>,
    #[serde(default = "default_currency")]
    currency: String,
    plans: Vec<Plan>,
}

fn default_plan_id() -> String {
    "free".to_owned()
}

fn default_currency() -> String {
    CURRENCY.to_owned()
}

/// The validated plan catalogue, ordered as in the file.
///
/// Serializes to the file format; deserializing validates like [`Plans::from_json`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PlansFile")]
pub struct Plans {
    #[serde(rename = "default")]
    default_id: String,
    /// The plan apps created in the console start on (absent: the default plan).
    #[serde(skip_serializing_if = "Option::is_none")]
    signup: Option<String>,
    currency: String,
    plans: Vec<Plan>,
    /// Index of the default plan in `plans`; valid by construction (see `TryFrom<PlansFile>`).
    #[serde(skip)]
    default_index: usize,
}

impl Plans {
    /// Parses and validates a plans file.
    ///
    /// Rules: at least one plan; ids non-empty, at most 32 characters among `a-z`, `0-9`, `_`, `-`, and unique;
    /// names non-empty; every overage `unit` greater than 0; the `default` plan exists; currency `"USD"`.
    pub fn from_json(text: &str) -> Result<Plans, PlanError> {
        let file: PlansFile = serde_json::from_str(text)?;
        Plans::try_from(file)
    }

    /// The built-in plans (`billing/plans.json`).
    // Allowed: the file is compiled into the crate, so its content is fixed at build time, and the unit test
    // `builtin_plans_parse` parses exactly this text. A panic here would mean a build whose tests fail.
    #[allow(clippy::panic)]
    pub fn builtin() -> Plans {
        match Plans::from_json(BUILTIN_PLANS_JSON) {
            Ok(plans) => plans,
            Err(e) => panic!("built-in plans.json is invalid: {e}"),
        }
    }

    /// The plan with this id.
    pub fn get(&self, id: &str) -> Option<&Plan> {
        self.plans.iter().find(|p| p.id == id)
    }

    /// The plan of apps with none assigned: the file's top-level `default` (default `"free"`).
    pub fn default_plan(&self) -> &Plan {
        // In bounds: `default_index` is set to the position of an existing plan during validation, and
        // `plans` is never modified afterwards.
        &self.plans[self.default_index]
    }

    /// The plan apps created in the console start on: the file's `signup`, else the default plan.
    pub fn signup_plan(&self) -> &Plan {
        self.signup.as_deref().and_then(|id| self.get(id)).unwrap_or_else(|| self.default_plan())
    }

    /// The currency of every price, always `"USD"`.
    pub fn currency(&self) -> &str {
        &self.currency
    }

    /// The plans a client may choose in the console, in file order.
    pub fn self_service(&self) -> impl Iterator<Item = &Plan> {
        self.plans.iter().filter(|p| p.self_service)
    }

    /// The plans, in file order.
    pub fn iter(&self) -> impl Iterator<Item = &Plan> {
        self.plans.iter()
    }
}

impl TryFrom<PlansFile> for Plans {
    type Error = PlanError;

    fn try_from(file: PlansFile) -> Result<Plans, PlanError> {
        let invalid = |msg: String| Err(PlanError::Invalid(msg));
        if file.plans.is_empty() {
            return invalid("no plans defined (the \"plans\" list is empty)".to_owned());
        }
        if file.currency != CURRENCY {
            return invalid(format!("unsupported currency {:?}: only {CURRENCY:?} is supported", file.currency));
        }
        let mut seen = HashSet::new();
        for (i, plan) in file.plans.iter().enumerate() {
            check_id(&plan.id).map_err(|why| PlanError::Invalid(format!("plan #{}: {why}", i + 1)))?;
            if !seen.insert(plan.id.as_str()) {
                return invalid(format!("duplicate plan id {:?}", plan.id));
            }
            if plan.name.trim().is_empty() {
                return invalid(format!("plan {:?}: name must not be empty", plan.id));
            }
            if let Some((metric, _)) = plan.overage.iter().find(|(_, o)| o.unit == 0) {
                return invalid(format!("plan {:?}: overage unit of {metric} must be greater than 0", plan.id));
            }
        }
        let Some(default_index) = file.plans.iter().position(|p| p.id == file.default) else {
            let ids: Vec<&str> = file.plans.iter().map(|p| p.id.as_str()).collect();
            return invalid(format!("default plan {:?} is not defined (plans: {})", file.default, ids.join(", ")));
        };
        if let Some(signup) = &file.signup
            && !file.plans.iter().any(|p| &p.id == signup)
        {
            return invalid(format!("signup plan {signup:?} is not defined"));
        }
        Ok(Plans {
            default_id: file.default,
            signup: file.signup,
            currency: file.currency,
            plans: file.plans,
            default_index,
        })
    }
}

/// Why a plan id is rejected.
#[derive(Debug, thiserror::Error)]
enum IdError {
    #[error("id must not be empty")]
    Empty,
    #[error("id {0:?} is longer than {MAX_ID_LEN} characters")]
    TooLong(String),
    #[error("id {0:?} contains {1:?}; only a-z, 0-9, '_' and '-' are allowed")]
    BadChar(String, char),
}

/// Checks a plan id, returning why it is rejected.
fn check_id(id: &str) -> Result<(), IdError> {
    if id.is_empty() {
        return Err(IdError::Empty);
    }
    if id.chars().count() > MAX_ID_LEN {
        return Err(IdError::TooLong(id.to_owned()));
    }
    if let Some(c) = id.chars().find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '_' | '-')) {
        return Err(IdError::BadChar(id.to_owned(), c));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plans file with this `default` and the plan objects `plans` (JSON text).
    fn file_with(default: &str, plans: &str) -> String {
        format!(r#"{{"default": "{default}", "plans": [{plans}]}}"#)
    }

    const BASIC: &str = r#"{"id": "basic", "name": "Basic", "price_cents": 100, "enforcement": "soft"}"#;

    fn invalid_message(text: &str) -> String {
        match Plans::from_json(text) {
            Err(e @ PlanError::Invalid(_)) => e.to_string(),
            other => panic!("expected PlanError::Invalid, got {other:?}"),
        }
    }

    fn json_message(text: &str) -> String {
        match Plans::from_json(text) {
            Err(e @ PlanError::Json(_)) => e.to_string(),
            other => panic!("expected PlanError::Json, got {other:?}"),
        }
    }

    #[test]
    fn builtin_plans_parse() {
        let plans = Plans::from_json(BUILTIN_PLANS_JSON).unwrap();
        assert_eq!(plans, Plans::builtin());
        let ids: Vec<&str> = plans.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["free", "pro", "enterprise", "unmetered"]);
        // Apps the operator makes with the CLI are unmetered; console sign-ups start free.
        assert_eq!(plans.default_plan().id, "unmetered");
        assert_eq!(plans.signup_plan().id, "free");
        assert!(plans.default_plan().included.is_empty() && plans.default_plan().overage.is_empty());
        assert_eq!(plans.currency(), "USD");

        let free = plans.get("free").unwrap();
        assert_eq!((free.price_cents, free.enforcement), (0, Enforcement::Hard));
        assert!(free.overage.is_empty());
        assert_eq!(free.included(Metric::Mau), Some(100));
        let pro = plans.get("pro").unwrap();
        assert_eq!((pro.price_cents, pro.enforcement), (9900, Enforcement::Soft));
        assert_eq!(pro.overage(Metric::Messages), Some(Overage { unit: 1000, price_cents: 10 }));
        let enterprise = plans.get("enterprise").unwrap();
        assert_eq!((enterprise.price_cents, enterprise.enforcement), (99900, Enforcement::Soft));
        assert!(plans.get("gold").is_none());

        // Every built-in plan limits and (when soft) prices every metric, and quotas grow with the price.
        for plan in [free, pro, enterprise] {
            for m in Metric::ALL {
                assert!(plan.included(m).is_some(), "{} {m}", plan.id);
                assert_eq!(plan.overage(m).is_some(), plan.enforcement == Enforcement::Soft, "{} {m}", plan.id);
            }
        }
        for m in Metric::ALL {
            assert!(free.included(m) < pro.included(m) && pro.included(m) < enterprise.included(m), "{m}");
        }
    }

    #[test]
    fn serializes_to_the_file_format() {
        let plans = Plans::builtin();
        let text = serde_json::to_string_pretty(&plans).unwrap();
        assert_eq!(Plans::from_json(&text).unwrap(), plans);
        assert_eq!(serde_json::from_str::<Plans>(&text).unwrap(), plans);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["default"], "unmetered");
        assert_eq!(value["signup"], "free");
        assert_eq!(value["plans"][1]["overage"]["messages"]["unit"], 1000);
    }

    #[test]
    fn defaults_and_optional_fields() {
        let plans = Plans::from_json(&file_with("basic", BASIC)).unwrap();
        let basic = plans.default_plan();
        assert_eq!(basic.id, "basic");
        assert!(basic.included.is_empty() && basic.overage.is_empty());
        assert_eq!(basic.included(Metric::Mau), None);

        // "default" absent means "free".
        let text = format!(r#"{{"plans": [{BASIC}, {}]}}"#, BASIC.replace("basic", "free"));
        assert_eq!(Plans::from_json(&text).unwrap().default_plan().id, "free");
        let err = invalid_message(&format!(r#"{{"plans": [{BASIC}]}}"#));
        assert!(err.contains("default plan \"free\" is not defined (plans: basic)"), "{err}");
    }

    #[test]
    fn duplicate_id() {
        let err = invalid_message(&file_with("basic", &format!("{BASIC}, {BASIC}")));
        assert_eq!(err, "invalid plans configuration: duplicate plan id \"basic\"");
    }

    #[test]
    fn unknown_default() {
        let err = invalid_message(&file_with("gold", BASIC));
        assert_eq!(err, "invalid plans configuration: default plan \"gold\" is not defined (plans: basic)");
    }

    #[test]
    fn zero_unit() {
        let plan = BASIC.replace("}", r#", "overage": {"messages": {"unit": 0, "price_cents": 10}}}"#);
        let err = invalid_message(&file_with("basic", &plan));
        assert_eq!(err, "invalid plans configuration: plan \"basic\": overage unit of messages must be greater than 0");
    }

    #[test]
    fn unknown_metric_key() {
        let plan = BASIC.replace("}", r#", "included": {"messages": 10, "mesages": 10}}"#);
        let err = json_message(&file_with("basic", &plan));
        assert!(err.contains("unknown variant `mesages`"), "{err}");
        assert!(err.contains("line 1"), "{err}");
    }

    #[test]
    fn unknown_fields() {
        let plan = BASIC.replace("}", r#", "price": 5}"#);
        assert!(json_message(&file_with("basic", &plan)).contains("unknown field `price`"));
        let overage = BASIC.replace("}", r#", "overage": {"mau": {"unit": 1, "cents": 5}}}"#);
        assert!(json_message(&file_with("basic", &overage)).contains("unknown field `cents`"));
        let top = format!(r#"{{"plans": [{BASIC}], "default": "basic", "defualt": "x"}}"#);
        assert!(json_message(&top).contains("unknown field `defualt`"));
        let enforcement = BASIC.replace("soft", "strict");
        assert!(json_message(&file_with("basic", &enforcement)).contains("unknown variant `strict`"));
    }

    #[test]
    fn bad_json() {
        let err = json_message(r#"{"plans": ["#);
        assert!(err.starts_with("invalid plans file: "), "{err}");
        assert!(json_message("").starts_with("invalid plans file: "));
        assert!(json_message(r#"{"default": "free"}"#).contains("missing field `plans`"));
        assert!(json_message(&BASIC.replace("100", "-1")).starts_with("invalid plans file: "));
    }

    #[test]
    fn bad_ids_names_and_lists() {
        let with_id = |id: &str| file_with(id, &BASIC.replace("basic", id));
        assert!(invalid_message(&with_id("")).contains("plan #1: id must not be empty"));
        assert!(invalid_message(&with_id("Pro")).contains("contains 'P'"));
        assert!(invalid_message(&with_id("pro plan")).contains("contains ' '"));
        assert!(invalid_message(&with_id(&"a".repeat(33))).contains("longer than 32 characters"));
        assert!(Plans::from_json(&with_id(&"a".repeat(32))).is_ok());
        assert!(Plans::from_json(&with_id("team_2-eu")).is_ok());
        let unnamed = BASIC.replace(r#""Basic""#, r#"" ""#);
        assert!(invalid_message(&file_with("basic", &unnamed)).contains("name must not be empty"));
        assert!(invalid_message(r#"{"plans": []}"#).contains("no plans defined"));
        let eur = format!(r#"{{"default": "basic", "currency": "EUR", "plans": [{BASIC}]}}"#);
        assert!(invalid_message(&eur).contains("unsupported currency \"EUR\""));
    }

    #[test]
    fn deserialize_validates() {
        let err = serde_json::from_str::<Plans>(&file_with("gold", BASIC)).unwrap_err();
        assert!(err.to_string().contains("default plan \"gold\" is not defined"), "{err}");
    }
}
