//! Command-line arguments (clap derive). Resolution of defaults that depend on the environment
//! happens in `cmd`, not here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::i18n::Lang;

#[derive(Debug, Parser)]
#[command(
    name = "regdoctor",
    version,
    about = "A doctor for container registries: why `docker pull`, `push` or `login` fails, and what to change",
    long_about = None,
    after_help = "Examples:\n  regdoctor check registry.example.com:5000\n  regdoctor check registry.cn-hangzhou.aliyuncs.com/myns/app:1.0 --json\n  docker pull nginx 2>&1 | regdoctor explain\n  regdoctor explain --file ci.log --lang zh\n  regdoctor rules RD-TLS-001\n\nExit codes: 0 nothing wrong, 1 problems found, 2 usage or internal error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub global: GlobalArgs,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Print the report as JSON (same as --format json)
    #[arg(long, global = true)]
    pub json: bool,
    /// Output format
    #[arg(long, global = true, value_enum)]
    pub format: Option<Format>,
    /// Language of the report [default: from LC_ALL / LC_MESSAGES / LANG]
    #[arg(long, global = true, value_enum)]
    pub lang: Option<Lang>,
    /// Never use colour (NO_COLOR is honoured too)
    #[arg(long, global = true)]
    pub no_color: bool,
    /// More detail in the human report (secrets stay redacted)
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Extra rule packs (*.toml) to load, after the built-in ones and the user's config dir
    #[arg(long = "rules", global = true, value_name = "DIR")]
    pub rules_dirs: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Markdown,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Diagnose a registry or image reference with live checks
    #[command(
        after_help = "Examples:\n  regdoctor check                              # Docker Hub\n  regdoctor check nginx:1.25\n  regdoctor check https://registry.example.com/v2/\n  regdoctor check 127.0.0.1:5000 --only dns,tcp,tls\n  regdoctor check harbor.corp:8443/proj/app:1.0 --certs-dir ./certs.d --json\n  regdoctor check reg.example:443 --resolve reg.example:443:10.0.0.5\n  regdoctor check registry.cn-hangzhou.aliyuncs.com/ns/app:1 --push     # may I push?\n  echo \"$TOKEN\" | regdoctor check reg.example/team/app -u ci --password-stdin\n  regdoctor check --offline nginx:1.25         # local configuration only\n  regdoctor check arm.example/app:1 --platform linux/arm64"
    )]
    Check(Box<CheckArgs>),
    /// Explain a pasted error, or a whole CI log, and rank the likely causes
    #[command(
        after_help = "Examples:\n  regdoctor explain \"x509: certificate signed by unknown authority\"\n  docker push reg.example/app:1 2>&1 | regdoctor explain\n  regdoctor explain --file build.log --json\n  regdoctor explain RD-TLS-001          # the full text of a rule\n\nExit codes: 0 no known registry error in the text, 1 causes found, 2 usage or internal error,\n3 the input is empty, 4 the text holds no error message (did stderr reach the pipe? use 2>&1),\n5 the input is not text (a binary file).\nText may be UTF-8 or UTF-16 (what PowerShell 5 `>` writes), with or without a byte-order mark."
    )]
    Explain(ExplainArgs),
    /// List the rules, or show one rule in full
    Rules(RulesArgs),
    /// List the checks `check` can run
    Checks,
    /// Print a shell completion script (e.g. `regdoctor completions bash > /etc/bash_completion.d/regdoctor`)
    #[command(
        after_help = "Examples:\n  regdoctor completions bash | sudo tee /usr/share/bash-completion/completions/regdoctor\n  regdoctor completions zsh > \"${fpath[1]}/_regdoctor\"\n  regdoctor completions fish > ~/.config/fish/completions/regdoctor.fish\n  regdoctor completions powershell >> $PROFILE"
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `regdoctor man | man -l -`
    Man,
}

#[derive(Debug, Args, Default)]
pub struct CheckArgs {
    /// Registry (host, host:port, https://host/v2/) or image reference (host/ns/repo:tag,
    /// nginx, ...). Default: Docker Hub
    pub target: Option<String>,
    /// Deadline for the whole run, in seconds
    #[arg(long, default_value_t = 10.0, value_name = "SECS")]
    pub timeout: f64,
    /// Run only these checks (and what they need), comma-separated
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub only: Vec<String>,
    /// Do not run these checks (nor what needs them), comma-separated
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub skip: Vec<String>,
    /// Use this address for host:port instead of DNS, as curl's --resolve
    #[arg(long, value_name = "HOST:PORT:ADDR")]
    pub resolve: Vec<String>,
    /// Ask this DNS server (ip or ip:port) instead of those in resolv.conf
    #[arg(long, value_name = "ADDR")]
    pub nameserver: Vec<String>,
    /// Docker client config directory [default: $DOCKER_CONFIG or ~/.docker]
    #[arg(long, value_name = "DIR")]
    pub docker_config: Option<PathBuf>,
    /// Docker daemon config file [default: /etc/docker/daemon.json]
    #[arg(long, value_name = "FILE")]
    pub daemon_config: Option<PathBuf>,
    /// Docker's per-registry certificate directory [default: /etc/docker/certs.d]
    #[arg(long, value_name = "DIR")]
    pub certs_dir: Option<PathBuf>,
    /// Hosts file [default: /etc/hosts]
    #[arg(long, value_name = "FILE")]
    pub hosts_file: Option<PathBuf>,
    /// Read local configuration only: no DNS, no connection, no request (the live checks are
    /// reported as skipped)
    #[arg(long)]
    pub offline: bool,
    /// With --offline, still ask the local daemon (`docker info`, over its socket) what it
    /// runs with; without --offline it is always asked
    #[arg(long, requires = "offline")]
    pub docker_info: bool,
    /// You mean to push: missing push permission on the repository is then an error
    #[arg(long)]
    pub push: bool,
    /// Prove push permission by starting a blob upload and cancelling it at once (the only
    /// check that sends a write request; implies --push)
    #[arg(long)]
    pub probe_push: bool,
    /// The platform to pull, as os/arch[/variant] [default: this machine's, e.g. linux/amd64]
    #[arg(long, value_name = "OS/ARCH")]
    pub platform: Option<String>,
    /// Log in as this user for this run (with --password-stdin), instead of stored credentials
    #[arg(long, short = 'u', value_name = "USER", requires = "password_stdin")]
    pub username: Option<String>,
    /// Read the password (or token) for --username from standard input
    #[arg(long, requires = "username")]
    pub password_stdin: bool,
    /// The docker service's systemd drop-in directory
    /// [default: /etc/systemd/system/docker.service.d]
    #[arg(long, value_name = "DIR")]
    pub systemd_dir: Option<PathBuf>,
    /// Shell start-up file to search for DOCKER_CONTENT_TRUST (repeatable)
    /// [default: /etc/profile, /etc/profile.d/*.sh, /etc/environment, ~/.bashrc, ~/.profile, ...]
    #[arg(long, value_name = "FILE")]
    pub profile_file: Vec<PathBuf>,
    /// The engine's data root for the disk check [default: daemon.json data-root, /var/lib/docker, ...]
    #[arg(long, value_name = "DIR")]
    pub data_root: Option<PathBuf>,
    /// A kubelet configuration file whose presence marks a Kubernetes node
    /// [default: /var/lib/kubelet/config.yaml, /etc/kubernetes/kubelet.conf]
    #[arg(long, value_name = "FILE")]
    pub kubelet_config: Option<PathBuf>,
    /// Resolver configuration [default: /etc/resolv.conf]
    #[arg(long, value_name = "FILE")]
    pub resolv_conf: Option<PathBuf>,
    /// containerd's configuration [default: /etc/containerd/config.toml]
    #[arg(long, value_name = "FILE")]
    pub containerd_config: Option<PathBuf>,
    /// containerd's hosts.toml directory [default: config_path of config.toml, else /etc/containerd/certs.d]
    #[arg(long, value_name = "DIR")]
    pub containerd_certs_dir: Option<PathBuf>,
    /// registries.conf of podman and CRI-O; drop-ins are read from registries.conf.d beside it
    /// [default: /etc/containers/registries.conf]
    #[arg(long, value_name = "FILE")]
    pub registries_conf: Option<PathBuf>,
    /// Signature policy of podman and CRI-O [default: /etc/containers/policy.json]
    #[arg(long, value_name = "FILE")]
    pub policy_json: Option<PathBuf>,
    /// Which clients to judge: docker, containerd, containers (podman, skopeo, buildah, CRI-O),
    /// buildkit, or all (repeatable, or comma-separated) [default: the clients found on this
    /// machine, docker when none is]
    #[arg(long, value_delimiter = ',', value_name = "CLIENT")]
    pub client: Vec<String>,
    /// podman's, skopeo's and CRI-O's CA directory, one folder per host:port
    /// [default: /etc/containers/certs.d]
    #[arg(long, value_name = "DIR")]
    pub containers_certs_dir: Option<PathBuf>,
    /// BuildKit's daemon configuration [default: /etc/buildkit/buildkitd.toml]
    #[arg(long, value_name = "FILE")]
    pub buildkitd_config: Option<PathBuf>,
    /// The containerd service's systemd drop-in directory, where its proxy is set
    /// [default: /etc/systemd/system/containerd.service.d]
    #[arg(long, value_name = "DIR")]
    pub containerd_systemd_dir: Option<PathBuf>,
    /// docker.service unit file (repeatable; the first that exists wins)
    /// [default: /etc/systemd/system/docker.service, /lib/systemd/system/docker.service, /usr/lib/systemd/system/docker.service]
    #[arg(long, value_name = "FILE")]
    pub docker_unit: Vec<PathBuf>,
    /// Ubuntu's environment file for dockerd (DOCKER_OPTS) [default: /etc/default/docker]
    #[arg(long, value_name = "FILE")]
    pub docker_defaults: Option<PathBuf>,
    /// CentOS and EulerOS environment file for dockerd (OPTIONS, INSECURE_REGISTRY)
    /// [default: /etc/sysconfig/docker]
    #[arg(long, value_name = "FILE")]
    pub docker_sysconfig: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The error text (or a rule code such as RD-TLS-001). Reads stdin when absent
    pub text: Vec<String>,
    /// Read the text from this file (a CI log of any size)
    #[arg(long, short, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Also run the live checks against the registry named in the text, and say which of the
    /// ranked causes they confirm
    #[arg(long)]
    pub check: bool,
    /// Deadline of the live checks with --check, in seconds
    #[arg(long, default_value_t = 10.0, value_name = "SECS")]
    pub timeout: f64,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Show this rule in full (e.g. RD-TLS-001)
    pub code: Option<String>,
}
