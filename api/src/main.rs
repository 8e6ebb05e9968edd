//! `caas`: serve CAAS, or manage client apps in the configured database.

use std::process::ExitCode;

use caas_api::admin::AppBody;
use caas_api::apps as ops;
use caas_api::config::{DbArgs, LogFormat, ServeArgs};
use caas_api::http::error::ApiError;
use caas_api::{Server, shutdown_signal};
use caas_storage::{AppId, Store};
use clap::{Parser, Subcommand};
use serde_json::json;

#[derive(Parser)]
#[command(name = "caas", version, about = "CAAS — Chat-As-A-Service server and admin CLI")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default when no command is given).
    Serve(Box<ServeArgs>),
    /// Manage client apps.
    App {
        #[command(flatten)]
        db: DbArgs,
        #[command(subcommand)]
        command: AppCommand,
    },
}

#[derive(Subcommand)]
enum AppCommand {
    /// Create an app; prints its id, API key and API secret (shown once) as JSON.
    Create {
        /// Display name.
        #[arg(long)]
        name: String,
        /// IP or CIDR allowed to call the admin API (repeatable; default: loopback only).
        #[arg(long = "allow-ip")]
        allow_ip: Vec<String>,
        /// Web origin allowed to make end-user requests (repeatable).
        #[arg(long = "allow-origin")]
        allow_origin: Vec<String>,
    },
    /// List apps as JSON lines.
    List,
    /// Show one app as JSON.
    Show {
        /// The app id.
        app_id: AppId,
    },
    /// Replace an app's API secret; prints the new one. The old one stops working.
    RotateSecret {
        /// The app id.
        app_id: AppId,
    },
    /// Start signing session tokens with a new key.
    RotateKey {
        /// The app id.
        app_id: AppId,
        /// Also invalidate every token signed with older keys.
        #[arg(long)]
        revoke_previous: bool,
    },
    /// Replace the IP allowlist of the admin API (no CIDR: nobody may call it).
    SetIps {
        /// The app id.
        app_id: AppId,
        /// IPs or CIDRs, IPv4 or IPv6.
        cidrs: Vec<String>,
    },
    /// Replace the origin allowlist of end-user requests.
    SetOrigins {
        /// The app id.
        app_id: AppId,
        /// Origins such as https://app.example.com, https://*.example.com or *.
        origins: Vec<String>,
    },
}

fn init_logs(format: LogFormat, filter: &str, otlp: Option<&caas_api::http::otlp::Otlp>) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|e| {
        eprintln!("invalid CAAS_LOG filter `{filter}` ({e}); using `info`");
        tracing_subscriber::EnvFilter::new("info")
    });
    let traces = otlp.map(|o| tracing_opentelemetry::layer().with_tracer(o.tracer.clone()));
    let registry = tracing_subscriber::registry().with(filter).with(traces);
    let logs = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    match format {
        LogFormat::Json => registry.with(logs.json().with_current_span(true).with_span_list(false)).init(),
        LogFormat::Text => registry.with(logs).init(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None => serve(ServeArgs::defaults()).await,
        Some(Command::Serve(args)) => serve(*args).await,
        Some(Command::App { db, command }) => {
            init_logs(LogFormat::Text, "warn", None);
            match app_command(&db, command).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(message) => {
                    eprintln!("error: {message}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

async fn serve(config: ServeArgs) -> ExitCode {
    let otlp = match config.otlp_endpoint.as_deref().map(caas_api::http::otlp::Otlp::new).transpose() {
        Ok(otlp) => otlp,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    init_logs(config.log_format, &config.log, otlp.as_ref());
    let code = serve_logged(config).await;
    if let Some(otlp) = otlp {
        otlp.shutdown();
    }
    code
}

async fn serve_logged(config: ServeArgs) -> ExitCode {
    let server = match Server::bind(&config).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot start");
            return ExitCode::FAILURE;
        }
    };
    let addr = server.local_addr().map(|a| a.to_string()).unwrap_or_default();
    tracing::info!(%addr, database = ?server.state().store.backend(), "caas listening");
    match server.run(shutdown_signal()).await {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!(error = %e, "server failed");
            ExitCode::FAILURE
        }
    }
}

fn show(app: caas_storage::App) -> String {
    serde_json::to_string(&AppBody::from(app)).unwrap_or_default()
}

/// Why a `caas app …` command failed (printed, exit code 1).
#[derive(Debug, thiserror::Error)]
enum CliError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] caas_storage::StoreError),
    /// The input was refused, as the admin API would refuse it.
    #[error("{}", .0.message)]
    Refused(ApiError),
    /// No such app.
    #[error("no app with id {0}")]
    NoApp(caas_storage::AppId),
}

impl From<ApiError> for CliError {
    fn from(e: ApiError) -> Self {
        CliError::Refused(e)
    }
}

async fn app_command(db: &DbArgs, command: AppCommand) -> Result<(), CliError> {
    let store = Store::connect(&db.url()).await?;
    match command {
        AppCommand::Create { name, allow_ip, allow_origin } => {
            let created = ops::create_app(&store, &name, &allow_ip, &allow_origin).await?;
            let out = json!({
                "app_id": created.app.id.to_string(),
                "api_key": created.app.api_key,
                "api_secret": created.api_secret,
                "allowed_ips": created.app.allowed_ips,
                "allowed_origins": created.app.allowed_origins,
            });
            println!("{out}");
        }
        AppCommand::List => {
            for app in store.list_apps().await? {
                println!("{}", show(app));
            }
        }
        AppCommand::Show { app_id } => {
            let app = store.app_by_id(app_id).await?;
            println!("{}", show(app.ok_or(CliError::NoApp(app_id))?));
        }
        AppCommand::RotateSecret { app_id } => {
            let secret = ops::rotate_secret(&store, app_id).await?;
            ops::audit_app(&store, app_id, "cli", "app.secret_rotated", json!({})).await;
            println!("{}", json!({"app_id": app_id.to_string(), "api_secret": secret}));
        }
        AppCommand::RotateKey { app_id, revoke_previous } => {
            let kid = ops::rotate_signing_key(&store, app_id, revoke_previous).await?;
            let detail = json!({"kid": kid.to_string(), "revoke_previous": revoke_previous});
            ops::audit_app(&store, app_id, "cli", "app.signing_key_rotated", detail).await;
            println!("{}", json!({"app_id": app_id.to_string(), "kid": kid.to_string()}));
        }
        AppCommand::SetIps { app_id, cidrs } => {
            let app = ops::update_settings(&store, app_id, None, Some(&cidrs), None).await?;
            ops::audit_app(&store, app_id, "cli", "app.ips_changed", json!({"to": app.allowed_ips})).await;
            println!("{}", show(app));
        }
        AppCommand::SetOrigins { app_id, origins } => {
            let app = ops::update_settings(&store, app_id, None, None, Some(&origins)).await?;
            ops::audit_app(&store, app_id, "cli", "app.origins_changed", json!({"to": app.allowed_origins})).await;
            println!("{}", show(app));
        }
    }
    store.close().await;
    Ok(())
}
