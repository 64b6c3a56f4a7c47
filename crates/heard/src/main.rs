//! The `heard` binary: the command line, configuration and wiring. Everything it does
//! goes through `heard-services`, exactly as the HTTP API does.

mod demo;
mod import;
mod mail_import;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use heard_services::Services;
use heard_services::people::{NewAgent, NewCustomer};
use heard_store::Store;
use std::io::Read;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "heard",
    version,
    about = "A help desk that serves the person as well as the fault"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the data lives: an embedded SQLite database in a folder, or PostgreSQL.
#[derive(Args, Clone)]
struct DataArgs {
    /// Folder for the embedded database and files.
    #[arg(long, env = "HEARD_DATA_DIR", default_value = "./heard-data")]
    data_dir: PathBuf,
    /// postgres://… to use PostgreSQL instead of the embedded database.
    #[arg(long, env = "HEARD_DATABASE_URL")]
    database_url: Option<String>,
}

impl DataArgs {
    async fn open(&self) -> anyhow::Result<Store> {
        match &self.database_url {
            Some(url) if !url.is_empty() => Store::open_url(url)
                .await
                .with_context(|| format!("opening the database at {}", redact(url))),
            _ => Store::open_data_dir(&self.data_dir)
                .await
                .with_context(|| format!("opening the database in {}", self.data_dir.display())),
        }
    }
}

impl DataArgs {
    /// This process's search index: `<data-dir>/index` (also with PostgreSQL: each
    /// process keeps its own index and follows the shared outbox).
    fn search(&self) -> anyhow::Result<heard_services::search_index::Search> {
        let dir = self.data_dir.join("index");
        heard_services::search_index::Search::open(&dir).with_context(|| {
            format!(
                "opening the search index in {} (is another heard process using it?)",
                dir.display()
            )
        })
    }
}

async fn kb_import(data: DataArgs, dir: PathBuf) -> anyhow::Result<()> {
    if !dir.is_dir() {
        bail!("{} is not a folder", dir.display());
    }
    let report = heard_search::import::import_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?;
    let services = Services::new(data.open().await?);
    let summary = services
        .import_articles(report.articles, report.skipped)
        .await?;
    for s in &summary.skipped {
        eprintln!("skipped {}: {}", s.file, s.reason);
    }
    eprintln!(
        "{} imported, {} updated, {} unchanged, {} skipped",
        summary.imported,
        summary.updated,
        summary.unchanged,
        summary.skipped.len()
    );
    println!("{}", serde_json::to_string(&summary)?);
    Ok(())
}

async fn reindex(data: DataArgs, check: bool) -> anyhow::Result<()> {
    let services = Services::new(data.open().await?).with_search(data.search()?);
    if check {
        let drift = services.index_drift(None).await?;
        println!("{}", serde_json::to_string(&drift)?);
        if !drift.in_sync {
            std::process::exit(1);
        }
    } else {
        let report = services.reindex(None).await?;
        println!("{}", serde_json::to_string(&report)?);
    }
    Ok(())
}

/// Checks the backup on a copy (bringing an older one up to today's migrations), then
/// swaps it in with renames, so a failed restore leaves the database as it was.
async fn restore(data: DataArgs, file: PathBuf, force: bool) -> anyhow::Result<()> {
    let target = match data.database_url.as_deref().filter(|u| !u.is_empty()) {
        Some(url) if url.starts_with("postgres") => {
            bail!("a PostgreSQL database is restored with pg_restore or psql (see the README)")
        }
        Some(url) => PathBuf::from(
            url.trim_start_matches("sqlite://")
                .trim_start_matches("sqlite:")
                .split('?')
                .next()
                .unwrap_or_default(),
        ),
        None => data.data_dir.join("heard.sqlite"),
    };
    if !file.is_file() {
        bail!("{} is not a backup file", file.display());
    }
    if target.exists() && !force {
        bail!(
            "{} already holds a database; stop heard serve and pass --force to replace it",
            target.display()
        );
    }
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let sibling = |suffix: &str| {
        let mut name = target.clone().into_os_string();
        name.push(suffix);
        PathBuf::from(name)
    };
    let staged = sibling(".restoring");
    std::fs::copy(&file, &staged)
        .with_context(|| format!("copying {} to {}", file.display(), staged.display()))?;
    let checked = async {
        let store = Store::open_sqlite(&staged).await?;
        let ok = store.integrity_ok().await?;
        store.close().await;
        anyhow::Ok(ok)
    }
    .await;
    if !matches!(checked, Ok(true)) {
        let _ = std::fs::remove_file(&staged);
        bail!(
            "{} is not a whole heard database: {}",
            file.display(),
            checked
                .err()
                .map(|e| e.to_string())
                .unwrap_or("integrity check failed".into())
        );
    }
    if target.exists() {
        for suffix in ["", "-wal", "-shm"] {
            let old = sibling(suffix);
            if old.exists() {
                std::fs::rename(&old, sibling(&format!(".before-restore{suffix}")))?;
            }
        }
    }
    std::fs::rename(&staged, &target)?;
    // The index is made from the database: rebuild it for what was restored.
    let index = data.data_dir.join("index");
    if index.exists() {
        std::fs::remove_dir_all(&index)?;
    }
    let restored = DataArgs {
        data_dir: data.data_dir.clone(),
        database_url: Some(format!("sqlite:{}", target.display())),
    };
    let services = Services::new(restored.open().await?).with_search(restored.search()?);
    let report = services.reindex(None).await?;
    println!(
        "{}",
        serde_json::json!({"restored": target, "index": report})
    );
    Ok(())
}

async fn seed(
    data: DataArgs,
    plan: heard_services::seed::SeedPlan,
    tokens: Option<PathBuf>,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let services = Services::new(data.open().await?).with_search(data.search()?);
    let report = services
        .seed(plan, |step| {
            eprintln!("{:>7.1} s  {step}", started.elapsed().as_secs_f64())
        })
        .await?;
    let written = started.elapsed().as_secs_f64();
    eprintln!("{written:>7.1} s  written; rebuilding the search index");
    let index = services.reindex(None).await?;
    let indexed = started.elapsed().as_secs_f64() - written;
    eprintln!("{:>7.1} s  indexed", started.elapsed().as_secs_f64());
    if let Some(path) = tokens {
        let token = |email: String| {
            let services = services.clone();
            async move {
                let t = services.create_token(&email, "seed").await?;
                anyhow::Ok(serde_json::json!({"email": email, "token": t}))
            }
        };
        let mut agent = token(report.agent_email.clone()).await?;
        agent["team_id"] = report.agent_team_id.into();
        let file = serde_json::json!({
            "customer": token(report.customer_email.clone()).await?,
            "agent": agent,
            "supervisor": token(report.supervisor_email.clone()).await?,
        });
        std::fs::write(&path, serde_json::to_string_pretty(&file)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    println!(
        "{}",
        serde_json::json!({"written": report, "index": index,
            "write_seconds": written, "index_seconds": indexed})
    );
    Ok(())
}

/// Hides a password in a database URL before it is printed.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://…@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

// Parsed once per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Run the help desk.
    Serve {
        #[command(flatten)]
        data: DataArgs,
        /// Address to listen on.
        #[arg(long, env = "HEARD_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        /// Fill an empty database with a realistic demo and print how to sign in.
        #[arg(long)]
        demo: bool,
        #[command(flatten)]
        mail: MailArgs,
        /// Also serve Prometheus metrics at http://ADDR/metrics (keep it on a private
        /// address: anyone who reaches it may read them). Admins' API tokens can read
        /// `/metrics` on the main address too.
        #[arg(long, env = "HEARD_METRICS_LISTEN")]
        metrics_listen: Option<String>,
        #[command(flatten)]
        oidc: OidcArgs,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// The knowledge base.
    Kb {
        #[command(subcommand)]
        command: KbCommand,
    },
    /// Rebuild the search index in `<data-dir>/index` from the database (stop `heard
    /// serve` on that data folder first, or use `POST /api/v1/search/index`).
    Reindex {
        #[command(flatten)]
        data: DataArgs,
        /// Only compare the index with the database and report drift (exit status 1 if any).
        #[arg(long)]
        check: bool,
    },
    /// Fill an empty help desk with a large, lifelike one (benchmarks, trying heard at
    /// scale), rebuild its search index and print what was written (JSON).
    Seed {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long, default_value_t = 10_000)]
        tickets: usize,
        /// Default: a customer per ten tickets.
        #[arg(long)]
        customers: Option<usize>,
        /// Default: an agent per 20,000 tickets, at least 12.
        #[arg(long)]
        agents: Option<usize>,
        /// Default: an article per 200 tickets, at least 50.
        #[arg(long)]
        articles: Option<usize>,
        /// Write API tokens for a customer, an agent and a supervisor to this JSON file
        /// (what `heard-bench --tokens` reads).
        #[arg(long)]
        tokens: Option<PathBuf>,
    },
    /// Write a consistent copy of the embedded database (attachments included) to FILE,
    /// while `heard serve` keeps running. PostgreSQL: use pg_dump.
    Backup {
        #[command(flatten)]
        data: DataArgs,
        /// Where to write the copy; it must not exist yet.
        #[arg(long)]
        to: PathBuf,
    },
    /// Put a backup in place of the embedded database and rebuild the search index (stop
    /// `heard serve` on that data folder first).
    Restore {
        #[command(flatten)]
        data: DataArgs,
        /// A file written by `heard backup`.
        file: PathBuf,
        /// Replace a database already there (it is kept beside it, `.before-restore`).
        #[arg(long)]
        force: bool,
    },
    /// E-mail: take mail in from files.
    Mail {
        #[command(subcommand)]
        command: MailCommand,
    },
    /// Review a draft reply's tone or score a customer's message for frustration (JSON out).
    Analyze {
        #[command(subcommand)]
        command: AnalyzeCommand,
    },
    /// Bring another help desk's history in (idempotent: run again to bring changes over).
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// From a django-helpdesk database: its SQLite file (a path or sqlite:PATH) or a
    /// postgres:// URL. Attachments are read from --media-dir (Django's MEDIA_ROOT).
    DjangoHelpdesk {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        from: String,
        #[arg(long)]
        media_dir: Option<PathBuf>,
    },
    /// From a CSV file, one row per message (columns in docs/import.md).
    Csv {
        #[command(flatten)]
        data: DataArgs,
        file: PathBuf,
    },
    /// From a Zendesk export folder: tickets.json, users.json, organizations.json,
    /// groups.json, comments/<ticket id>.json, attachments/<id>/<file> (docs/import.md).
    Zendesk {
        #[command(flatten)]
        data: DataArgs,
        dir: PathBuf,
    },
}

/// Outgoing mail (sign-in links): off unless an SMTP server is named.
#[derive(Args, Clone)]
struct MailArgs {
    /// SMTP server for outgoing mail: smtp://host:port (plain, e.g. a local relay),
    /// smtp://host:587?tls=required (STARTTLS), smtps://host:465; credentials as
    /// smtp://user:password@host.
    #[arg(long, env = "HEARD_SMTP_URL")]
    smtp_url: Option<String>,
    /// The sender of outgoing mail, e.g. "Help Desk <help@example.com>".
    #[arg(long, env = "HEARD_MAIL_FROM")]
    mail_from: Option<String>,
    /// Where people reach this help desk (links in mail point here); defaults to
    /// http://<listen address>.
    #[arg(long, env = "HEARD_PUBLIC_URL")]
    public_url: Option<String>,
    /// Also accept mail for the desk's addresses (--mail-from and the mailboxes) over
    /// SMTP on this address, e.g. 127.0.0.1:2525; a 250 means the mail is committed.
    #[arg(long, env = "HEARD_SMTP_LISTEN")]
    smtp_listen: Option<String>,
    /// Mailboxes fetched over IMAP (set on /api/v1/mailboxes) are looked at this often, in
    /// seconds, when the server offers no IDLE; with IDLE new mail comes at once.
    #[arg(long, env = "HEARD_IMAP_POLL_INTERVAL", default_value_t = 60)]
    imap_poll_interval: u64,
    /// A PEM file of CA certificates that IMAP over TLS trusts besides the public ones
    /// (a private CA).
    #[arg(long, env = "HEARD_IMAP_CA_FILE")]
    imap_ca_file: Option<PathBuf>,
}

impl MailArgs {
    fn imap_polling(&self) -> anyhow::Result<heard_services::imap_intake::ImapPolling> {
        if self.imap_poll_interval == 0 {
            bail!("--imap-poll-interval is a number of seconds, at least 1");
        }
        let extra = match &self.imap_ca_file {
            Some(path) => Some(
                std::fs::read(path)
                    .with_context(|| format!("reading --imap-ca-file {}", path.display()))?,
            ),
            None => None,
        };
        let trust = heard_mail::imap_client::TlsTrust::new(extra.as_deref())
            .map_err(|e| anyhow::anyhow!("--imap-ca-file: {e}"))?;
        Ok(heard_services::imap_intake::ImapPolling::new(
            std::time::Duration::from_secs(self.imap_poll_interval),
            trust,
        ))
    }
}

impl MailArgs {
    fn mailer(&self) -> anyhow::Result<Option<heard_mail::Mailer>> {
        let url = self.smtp_url.as_deref().filter(|u| !u.is_empty());
        let from = self.mail_from.as_deref().filter(|f| !f.is_empty());
        match (url, from) {
            (None, None) => Ok(None),
            (Some(url), Some(from)) => Ok(Some(
                heard_mail::Mailer::new(url, from).context("configuring outgoing mail")?,
            )),
            (Some(_), None) => bail!("--smtp-url needs --mail-from (the sender address)"),
            (None, Some(_)) => bail!("--mail-from needs --smtp-url (the SMTP server)"),
        }
    }
}

/// Single sign-on with an OpenID Connect provider: off unless an issuer is named.
#[derive(Args, Clone)]
struct OidcArgs {
    /// The provider's issuer URL (its /.well-known/openid-configuration is read from
    /// there), e.g. https://login.example.com/realms/staff.
    #[arg(long, env = "HEARD_OIDC_ISSUER")]
    oidc_issuer: Option<String>,
    /// The client id heard is registered under at the provider; register
    /// <public url>/signin/sso/callback as its redirect URI.
    #[arg(long, env = "HEARD_OIDC_CLIENT_ID")]
    oidc_client_id: Option<String>,
    /// The client secret (sent with client_secret_basic).
    #[arg(long, env = "HEARD_OIDC_CLIENT_SECRET", hide_env_values = true)]
    oidc_client_secret: Option<String>,
    /// The provider's name on the sign-in page ("Sign in with NAME"); defaults to the
    /// issuer's host.
    #[arg(long, env = "HEARD_OIDC_NAME")]
    oidc_name: Option<String>,
    /// The scopes asked for, space-separated (add the one that carries the role claim).
    #[arg(
        long,
        env = "HEARD_OIDC_SCOPES",
        default_value = "openid email profile"
    )]
    oidc_scopes: String,
    /// The claim whose values give people their role (e.g. groups, roles, or
    /// realm_access.roles); needs --oidc-role-map.
    #[arg(long, env = "HEARD_OIDC_ROLE_CLAIM")]
    oidc_role_claim: Option<String>,
    /// Claim value to role, e.g. "helpdesk=agent,helpdesk-leads=supervisor,it=admin";
    /// the highest role wins, and staff whose claim maps to no staff role are refused.
    #[arg(long, env = "HEARD_OIDC_ROLE_MAP")]
    oidc_role_map: Option<String>,
    /// Customers may sign in with the provider too (by default it is for staff).
    #[arg(long, env = "HEARD_OIDC_CUSTOMERS")]
    oidc_customers: bool,
    /// Make an account on first sign-in for a verified address heard does not know:
    /// staff with the role the claim maps to, else a customer if --oidc-customers.
    #[arg(long, env = "HEARD_OIDC_PROVISION")]
    oidc_provision: bool,
}

impl OidcArgs {
    fn settings(
        &self,
        public_url: Option<&str>,
        address: std::net::SocketAddr,
    ) -> anyhow::Result<Option<heard_services::sso::OidcSettings>> {
        let given = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        let Some(issuer) = given(&self.oidc_issuer) else {
            if given(&self.oidc_client_id).is_some() {
                bail!("--oidc-client-id needs --oidc-issuer (the provider)");
            }
            return Ok(None);
        };
        let host = issuer
            .split_once("://")
            .filter(|(scheme, _)| matches!(*scheme, "https" | "http"))
            .and_then(|(_, rest)| rest.split(['/', ':', '?']).next())
            .filter(|h| !h.is_empty())
            .map(str::to_string)
            .with_context(|| format!("--oidc-issuer {issuer} is not an http(s) URL"))?;
        let client_id = given(&self.oidc_client_id)
            .context("--oidc-issuer needs --oidc-client-id (heard's client id at the provider)")?;
        let client_secret =
            given(&self.oidc_client_secret).context("--oidc-issuer needs --oidc-client-secret")?;
        let role_claim = given(&self.oidc_role_claim);
        let role_map = match given(&self.oidc_role_map) {
            Some(m) => heard_services::sso::parse_role_map(&m)
                .map_err(|e| anyhow::anyhow!("--oidc-role-map: {e}"))?,
            None => Vec::new(),
        };
        if role_claim.is_some() == role_map.is_empty() {
            bail!(
                "--oidc-role-claim and --oidc-role-map go together (the claim, and what its values mean)"
            );
        }
        let mut scopes = self.oidc_scopes.split_whitespace().collect::<Vec<_>>();
        if !scopes.contains(&"openid") {
            scopes.insert(0, "openid");
        }
        Ok(Some(heard_services::sso::OidcSettings {
            display_name: given(&self.oidc_name).unwrap_or(host),
            issuer,
            client_id,
            client_secret,
            public_url: public_url
                .filter(|u| !u.is_empty())
                .map(str::to_string)
                .unwrap_or_else(|| format!("http://{address}")),
            scopes: scopes.join(" "),
            policy: heard_services::sso::SsoPolicy {
                role_claim,
                role_map,
                customers: self.oidc_customers,
                provision: self.oidc_provision,
            },
        }))
    }
}

#[derive(Subcommand)]
enum KbCommand {
    /// Import articles from a folder: Markdown (front matter optional), reStructuredText-like
    /// .rst/.txt, GNOME help JSON lines. Prints what was imported and what was skipped, why.
    Import {
        #[command(flatten)]
        data: DataArgs,
        /// The folder to walk (recursively).
        dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum MailCommand {
    /// Take mail in from .eml files, Maildir folders or mbox files (folders are walked),
    /// as if it had arrived by SMTP. The last line printed is a JSON summary in which
    /// every mail read is counted once: tickets, replies, quarantined, rejected or
    /// duplicates.
    Import {
        #[command(flatten)]
        data: DataArgs,
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

#[derive(Subcommand)]
enum AnalyzeCommand {
    /// The tone coach on a draft reply.
    Tone {
        /// Who reads the reply: jargon is flagged for non-technical readers.
        #[arg(long, default_value = "technical", value_parser = ["technical", "non-technical"])]
        audience: String,
        /// Each input line is {"id": …, "text": "…"}; each output line is the same id with the result.
        #[arg(long)]
        jsonl: bool,
        /// Input file (standard input when absent).
        file: Option<PathBuf>,
    },
    /// The frustration score of an inbound customer message.
    Frustration {
        #[arg(long)]
        jsonl: bool,
        file: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user.
    Create {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// customer, agent, supervisor or admin
        #[arg(long)]
        role: String,
        /// Support tier 1–3 (staff).
        #[arg(long)]
        tier: Option<i64>,
        /// Read the password from standard input (first line).
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Print a new API token for the user (use as `Authorization: Bearer TOKEN`).
    Create {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        email: String,
        /// A note saying what the token is for.
        #[arg(long, default_value = "cli")]
        label: String,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Seeding writes statements of thousands of rows on purpose: not worth a warning each.
    let quiet = if matches!(cli.command, Command::Seed { .. }) {
        ",sqlx=error"
    } else {
        ""
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                format!("heard=info,heard_http=info,tower_http::trace=info,warn{quiet}").into()
            }),
        )
        .with_writer(std::io::stderr)
        .init();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(cli))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            data,
            listen,
            demo,
            mail,
            metrics_listen,
            oidc,
        } => serve(data, &listen, demo, mail, metrics_listen, oidc).await,
        Command::Seed {
            data,
            tickets,
            customers,
            agents,
            articles,
            tokens,
        } => {
            let mut plan = heard_services::seed::SeedPlan::for_tickets(tickets);
            plan.customers = customers.unwrap_or(plan.customers).max(1);
            plan.agents = agents.unwrap_or(plan.agents);
            plan.articles = articles.unwrap_or(plan.articles);
            seed(data, plan, tokens).await
        }
        Command::User {
            command:
                UserCommand::Create {
                    data,
                    email,
                    name,
                    role,
                    tier,
                    password_stdin,
                },
        } => {
            let services = Services::new(data.open().await?);
            let password = if password_stdin {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s)?;
                let line = s.lines().next().unwrap_or("").to_string();
                if line.is_empty() {
                    bail!("--password-stdin: standard input had no password");
                }
                Some(line)
            } else {
                None
            };
            let id = if role == "customer" {
                services
                    .create_customer(
                        None,
                        NewCustomer {
                            email,
                            name,
                            organization_id: None,
                            time_zone: None,
                            password,
                        },
                    )
                    .await?
                    .id
            } else {
                services
                    .create_agent(
                        None,
                        NewAgent {
                            email,
                            name,
                            role,
                            tier,
                            skills: vec![],
                            team_ids: vec![],
                            capacity: None,
                            time_zone: None,
                            password,
                        },
                    )
                    .await?
                    .id
            };
            println!("{}", serde_json::json!({ "id": id }));
            Ok(())
        }
        Command::Analyze { command } => analyze(command),
        Command::Kb {
            command: KbCommand::Import { data, dir },
        } => kb_import(data, dir).await,
        Command::Reindex { data, check } => reindex(data, check).await,
        Command::Backup { data, to } => {
            if to.exists() {
                bail!("{} already exists; name a new file", to.display());
            }
            data.open().await?.backup_to(&to).await?;
            println!("{}", serde_json::json!({"backup": to}));
            Ok(())
        }
        Command::Restore { data, file, force } => restore(data, file, force).await,
        Command::Mail {
            command: MailCommand::Import { data, paths },
        } => {
            let services = Services::new(data.open().await?);
            let summary = mail_import::import(&services, &paths).await?;
            println!("{}", serde_json::to_string(&summary)?);
            Ok(())
        }
        Command::Import { command } => {
            let mut progress = import::Progress::new();
            let report = match command {
                ImportCommand::DjangoHelpdesk {
                    data,
                    from,
                    media_dir,
                } => {
                    let services = Services::new(data.open().await?);
                    import::django_helpdesk::import(&services, &from, media_dir, &mut progress)
                        .await?
                }
                ImportCommand::Csv { data, file } => {
                    let services = Services::new(data.open().await?);
                    import::csv_file::import(&services, &file, &mut progress).await?
                }
                ImportCommand::Zendesk { data, dir } => {
                    let services = Services::new(data.open().await?);
                    import::zendesk_export::import(&services, &dir, &mut progress).await?
                }
            };
            import::print_report(&report)
        }
        Command::Token {
            command: TokenCommand::Create { data, email, label },
        } => {
            let services = Services::new(data.open().await?);
            println!("{}", services.create_token(&email, &label).await?);
            Ok(())
        }
    }
}

/// Pure analysis: no database, no server. Reads FILE or standard input.
fn analyze(command: AnalyzeCommand) -> anyhow::Result<()> {
    use heard_language::Audience;
    use std::io::{BufRead, Write};
    let (file, jsonl) = match &command {
        AnalyzeCommand::Tone { file, jsonl, .. } | AnalyzeCommand::Frustration { file, jsonl } => {
            (file.clone(), *jsonl)
        }
    };
    let input: Box<dyn BufRead> = match &file {
        Some(path) => Box::new(std::io::BufReader::new(
            std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?,
        )),
        None => Box::new(std::io::BufReader::new(std::io::stdin())),
    };
    let audience = match &command {
        AnalyzeCommand::Tone { audience, .. } => audience
            .parse::<Audience>()
            .map_err(|_| anyhow::anyhow!("--audience: technical or non-technical"))?,
        AnalyzeCommand::Frustration { .. } => Audience::Technical,
    };
    let tone = matches!(command, AnalyzeCommand::Tone { .. });
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if jsonl {
        for line in input.lines() {
            let line = line.context("reading input")?;
            if line.trim().is_empty() {
                continue;
            }
            let result = if tone {
                heard_language::tone_jsonl_line(&line, audience)
            } else {
                heard_language::frustration_jsonl_line(&line)
            };
            writeln!(out, "{result}")?;
        }
    } else {
        let mut text = String::new();
        let mut input = input;
        input
            .read_to_string(&mut text)
            .context("reading input (UTF-8 text)")?;
        let json = if tone {
            let ctx = heard_language::ToneContext {
                audience,
                known_facts: vec![],
            };
            serde_json::to_string(&heard_language::review_tone(&text, &ctx))?
        } else {
            serde_json::to_string(&heard_language::score_frustration(
                &text,
                &Default::default(),
            ))?
        };
        writeln!(out, "{json}")?;
    }
    out.flush()?;
    Ok(())
}

async fn serve(
    data: DataArgs,
    listen: &str,
    demo: bool,
    mail: MailArgs,
    metrics_listen: Option<String>,
    oidc: OidcArgs,
) -> anyhow::Result<()> {
    let mailer = mail.mailer()?;
    let imap_polling = mail.imap_polling()?;
    let smtp_listen = mail.smtp_listen.clone().filter(|a| !a.is_empty());
    if smtp_listen.is_some() && mailer.is_none() {
        bail!(
            "--smtp-listen needs --smtp-url and --mail-from (the desk's address, and how it answers)"
        );
    }
    let store = data.open().await?;
    let mut services = Services::new(store.clone()).with_search(data.search()?);
    if let Some(url) = mail.public_url.as_deref().filter(|u| !u.is_empty()) {
        services = services.with_public_url(url);
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let address = listener.local_addr()?;
    if let Some(mailer) = mailer {
        let public_url = mail
            .public_url
            .clone()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| format!("http://{address}"));
        tracing::info!(from = %mailer.from_address(), %public_url, "outgoing mail is on");
        services = services.with_mail(mailer, &public_url);
        // Queued mail is sent from the database, so any process may send it and a
        // restart sends what was queued before.
        tokio::spawn(
            services
                .clone()
                .mail_loop(std::time::Duration::from_secs(5)),
        );
    }
    if let Some(settings) = oidc.settings(mail.public_url.as_deref(), address)? {
        tracing::info!(issuer = %settings.issuer, redirect_uri = %settings.redirect_uri(), "single sign-on is on");
        services = services.with_oidc(heard_services::sso::Oidc::new(settings));
    }
    if demo {
        demo::fill(&services, &format!("http://{address}")).await?;
    }
    // Warnings and breaches are swept from the database, so any number of processes may
    // run this and a restart catches up on whatever fell due while it was down.
    tokio::spawn(
        services
            .clone()
            .alert_loop(std::time::Duration::from_secs(15)),
    );
    // Break reminders, tickets stuck at their tier and waiting tickets are swept from the
    // database the same way: each happens once, whichever process gets there first.
    tokio::spawn(
        services
            .clone()
            .routing_loop(std::time::Duration::from_secs(15)),
    );
    // Webhooks are queued from the event log and sent from the database, so any
    // process may send them, none sends one twice at once, and a restart resumes.
    tokio::spawn(
        services
            .clone()
            .webhook_loop(std::time::Duration::from_secs(2)),
    );
    // The index follows the outbox: this process's writes, other processes' writes, and
    // anything committed before a crash that the index had not taken in yet.
    services.search.sync(&store).await?;
    tokio::spawn(
        services
            .clone()
            .search_sync_loop(std::time::Duration::from_secs(1)),
    );
    if let Some(smtp) = smtp_listen {
        let smtp_listener = tokio::net::TcpListener::bind(&smtp)
            .await
            .with_context(|| format!("listening for SMTP on {smtp}"))?;
        let smtp_address = smtp_listener.local_addr()?;
        tokio::spawn(heard_mail::smtp_server::serve_smtp(
            smtp_listener,
            services.clone(),
            heard_mail::smtp_server::SmtpLimits::default(),
        ));
        tracing::info!(%smtp_address, "accepting mail over SMTP");
        println!("heard accepting mail on smtp://{smtp_address}");
    }
    if let Some(metrics) = metrics_listen.filter(|a| !a.is_empty()) {
        let metrics_listener = tokio::net::TcpListener::bind(&metrics)
            .await
            .with_context(|| format!("listening for metrics on {metrics}"))?;
        let metrics_address = metrics_listener.local_addr()?;
        tokio::spawn(heard::serve_metrics(
            metrics_listener,
            services.clone(),
            std::future::pending(),
        ));
        tracing::info!(%metrics_address, "serving metrics");
        println!("heard metrics on http://{metrics_address}/metrics");
    }
    // Each mailbox fetched over IMAP gets a poller; with several processes on one
    // database, a lease gives each mailbox to one of them at a time.
    tokio::spawn(services.clone().imap_loop(imap_polling));
    tracing::info!(%address, backend = store.backend_name(), "heard is serving");
    // Tests and scripts read this line to learn the port when listening on :0.
    println!("heard listening on http://{address}");
    heard::serve(listener, services, shutdown_signal()).await?;
    store.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
