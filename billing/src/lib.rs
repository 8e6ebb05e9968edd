//! CAAS billing: plans, quotas and invoices.
//!
//! Pure computation over metered usage, with no I/O:
//!
//! - [`Plans`]: the plan catalogue (free, pro, enterprise, ...) with included quotas and overage prices, loaded
//!   from a JSON file ([`Plans::from_json`]) or the built-in default ([`Plans::builtin`], `billing/plans.json`,
//!   which also documents the file format).
//! - [`compute_invoice`]: the monthly [`Invoice`] of one app from its [`MonthUsage`].
//! - [`quota_status`] and [`admit_new_user`]: quota checks and the monthly-active-user admission decision.
//!
//! All amounts are integer US cents and all quantities integer base units (users, messages, connections,
//! participant-minutes, bytes); arithmetic saturates instead of overflowing, so no input can make it panic.

#![deny(missing_docs)]

mod format;
mod invoice;
mod plans;
mod quota;
mod usage;

pub use invoice::{CURRENCY, Invoice, InvoiceLine, compute_invoice};
pub use plans::{BUILTIN_PLANS_JSON, Enforcement, Overage, Plan, PlanError, Plans};
pub use quota::{Admission, QuotaStatus, admit_new_user, quota_status};
pub use usage::{Metric, MonthUsage};
