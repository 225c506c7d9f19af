//! Check lines in Chinese. Probes write their one-line summaries in English with the observed
//! values inside; for `--lang zh` the common shapes are rewritten here, keeping the values
//! (addresses, paths, codes) as they are. A line of an unknown shape stays English.

use std::borrow::Cow;
use std::sync::OnceLock;

use regex::Regex;

/// Whole-line shapes, first match wins; `$1`… are the observed values.
const LINES: &[(&str, &str)] = &[
    (
        r"^no address accepted a connection: (.+)$",
        "没有地址接受连接：$1",
    ),
    (r"^no address to connect to$", "没有可连接的地址"),
    (r"^no reachable address$", "没有可达的地址"),
    (
        r"^(\S+) connected in ([\d.]+) ms$",
        "$1 连接成功，用时 $2 ms",
    ),
    (
        r"^(\S+) connected in ([\d.]+) ms; (\d+) other address\(es\) failed: (.+)$",
        "$1 连接成功，用时 $2 ms；另有 $3 个地址失败：$4",
    ),
    (
        r"^no (\S+): the daemon runs with its defaults$",
        "没有 $1：守护进程使用默认配置运行",
    ),
    (
        r"^no docker\.service unit, /etc/default/docker or /etc/sysconfig/docker found$",
        "没有找到 docker.service 单元、/etc/default/docker 或 /etc/sysconfig/docker",
    ),
    (
        r"^no (\S+): containerd is not configured here$",
        "没有 $1：本机没有配置 containerd",
    ),
    (
        r"^no registries\.conf or policy\.json: podman and CRI-O are not configured here$",
        "没有 registries.conf 或 policy.json：本机没有配置 podman 和 CRI-O",
    ),
    (
        r"^no (\S+) \(pulls are anonymous\)$",
        "没有 $1（以匿名身份拉取）",
    ),
    (
        r"^content trust is off$",
        "内容信任（DOCKER_CONTENT_TRUST）未开启",
    ),
    (
        r"^content trust is ON: unsigned images will not be pulled$",
        "内容信任已开启：未签名的镜像将无法拉取",
    ),
    (
        r"^content trust is off here, but login shells turn it on$",
        "当前未开启内容信任，但登录 shell 会开启它",
    ),
    (
        r"^([\d.]+ [KMGT]?i?B) free under (\S+)$",
        "$2 下可用空间 $1",
    ),
    (r"^nothing to note$", "没有需要注意的地方"),
    (
        r"^no registry-mirrors configured$",
        "没有配置 registry-mirrors",
    ),
    (
        r"^daemon: (.+); shell: (.+)$",
        "守护进程：$1；当前 shell：$2",
    ),
    (
        r"^(\S+) is an IP address: nothing to resolve$",
        "$1 是 IP 地址：无需解析",
    ),
    (r"^(.+) \(DNS (.+)\)$", "$1（DNS $2）"),
    (
        r"^no docker CLI on PATH: the running daemon was not asked$",
        "PATH 中没有 docker 命令：没有询问运行中的守护进程",
    ),
    (r"^the target names no image$", "目标中没有镜像名"),
    (r"^the target names no repository$", "目标中没有仓库名"),
    (r"^needs `(\S+)`, which failed$", "依赖的 `$1` 检查失败"),
    (
        r"^needs `(\S+)`, which was skipped$",
        "依赖的 `$1` 检查被跳过",
    ),
    (
        r"^needs `(\S+)`, which was skipped with --skip$",
        "依赖的 `$1` 检查已被 --skip 跳过",
    ),
    (
        r"^the run's deadline \(--timeout\) passed before this check could start$",
        "本次运行的时限（--timeout）在此检查开始前已到",
    ),
    (
        r"^--offline: this check talks to the network$",
        "--offline：此检查需要访问网络",
    ),
    (
        r"^no TLS on port (\d+): plain HTTP, allowed \((.+)\)$",
        "端口 $1 没有 TLS：使用明文 HTTP，这是允许的（$2）",
    ),
    (
        r"^port (\d+) speaks plain HTTP, and Docker will only use TLS for this registry$",
        "端口 $1 使用明文 HTTP，而 Docker 对这个仓库只会使用 TLS",
    ),
    (r"^the TLS handshake got no answer$", "TLS 握手没有得到回应"),
    (r"^TLS handshake failed: (.+)$", "TLS 握手失败：$1"),
    (r"^(\d{3}[^,]*), API (\S+)$", "$1，API $2"),
    (
        r"^(\d{3}[^,]*), API (\S+), auth: (.+)$",
        "$1，API $2，认证方式：$3",
    ),
    (r"^(\d{3} .+) from GET /v2/$", "GET /v2/ 返回 $1"),
    (
        r"^no result within (\d+) ms, when the run's deadline \(--timeout\) ended it$",
        "$1 ms 内没有结果：本次运行的时限（--timeout）已到",
    ),
    (r"^(\S+) \(from (\S+)\)$", "$1（来自 $2）"),
    (
        r#"^(TLS\S+)(.*), (\d+) certificate\(s\), server "(.+)"(: .+)?$"#,
        "$1$2，$3 张证书，服务器 \"$4\"$5",
    ),
    (r"^/v2/ needs no credentials$", "/v2/ 不需要凭据"),
    (r"^Basic login accepted \((.+)\)$", "Basic 登录成功（$1）"),
    (r"^Basic login refused: (.+)$", "Basic 登录被拒绝：$1"),
    (
        r"^no product API regdoctor knows \(not Harbor\)$",
        "没有 regdoctor 认识的产品 API（不是 Harbor）",
    ),
    (
        r"^no Bearer realm: the registry hands out no tokens$",
        "没有 Bearer realm：该仓库不发放令牌",
    ),
    (
        r"^(\S+) is the registry's own host and port: the dns, tcp and tls checks cover it$",
        "$1 就是仓库自身的主机和端口：dns、tcp、tls 检查已覆盖",
    ),
    (r"^(\S+) is a valid reference$", "$1 是有效的镜像引用"),
    (r"^(\S+) does not exist$", "$1 不存在"),
    (r"^(\S+): no (\S+)$", "$1：没有 $2"),
    (
        r"^anonymous access: pushing needs a login \(`docker login`\), then --push$",
        "匿名访问：推送需要先登录（`docker login`），再加 --push",
    ),
    (
        r"^the registry's login does not say what it grants; --probe-push tries an upload and cancels it$",
        "仓库的登录没有说明授予了哪些权限；--probe-push 会尝试上传并立即取消",
    ),
    (
        r"^the token grants push on (\S+) \((.+)\)$",
        "令牌授予了 $1 的推送权限（$2）",
    ),
    (
        r"^the token does not grant push on (\S+)$",
        "令牌没有授予 $1 的推送权限",
    ),
    (
        r"^(\S+) present: multi-platform index(.*)$",
        "$1 存在：多平台索引$2",
    ),
    (r"^(\S+) present: (.+)$", "$1 存在：$2"),
    (
        r"^no answer from (.+) in (\d+) ms \(each query waits up to (\d+) ms\)$",
        "$1 在 $2 ms 内没有应答（每次查询最多等待 $3 ms）",
    ),
    (r"^no transport to the registry$", "没有到仓库的可用连接"),
    (
        r"^no usable transport \(see tls\)$",
        "没有可用的连接（见 tls 检查）",
    ),
    (
        r"^the registry wants credentials and none are stored for it$",
        "仓库要求凭据，但本机没有为它保存凭据",
    ),
    (
        r"^the token realm (\S+) did not answer$",
        "令牌服务 $1 没有应答",
    ),
    (r"^the token realm answered (.+)$", "令牌服务返回了 $1"),
    (
        r"^(\d+) file\(s\) \+ policy\.json; no \[\[registry\]\] entry for (\S+)$",
        "$1 个文件和 policy.json；没有 $2 的 [[registry]] 条目",
    ),
    (
        r"^no hosts\.toml for (\S+): containerd dials (\S+) directly$",
        "没有 $1 的 hosts.toml：containerd 直接连接 $2",
    ),
    (
        r"^no (\S+): the daemon runs with its defaults$",
        "没有 $1：守护进程使用默认配置运行",
    ),
];

/// Phrases inside a line (after the line shape, or where no shape matched).
const PHRASES: &[(&str, &str)] = &[
    (
        "the server closed the connection during the handshake",
        "服务器在握手过程中关闭了连接",
    ),
    ("direct (no proxy set)", "直连（未设置代理）"),
    (
        "loopback addresses are insecure registries by default in Docker",
        "Docker 默认把回环地址当作非安全仓库",
    ),
    ("system resolver", "系统解析器"),
    ("anonymous", "匿名"),
];

fn compiled() -> &'static [(Regex, &'static str)] {
    static TABLE: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        LINES
            .iter()
            .filter_map(|(re, to)| Regex::new(re).ok().map(|r| (r, *to)))
            .collect()
    })
}

/// A check's one-line summary in Chinese, where its shape is known.
pub fn check_line(line: &str) -> Cow<'_, str> {
    let mut out: Cow<'_, str> = Cow::Borrowed(line);
    if let Some((re, to)) = compiled().iter().find(|(re, _)| re.is_match(line)) {
        out = Cow::Owned(re.replace(line, *to).into_owned());
    } else if line.contains("; ") || line.contains(": ") {
        // A hop's line (`realm host: dns: ...; tcp: ...`): each step in its own words.
        out = Cow::Owned(steps(line));
    }
    for (en, zh) in PHRASES {
        if out.contains(en) {
            out = Cow::Owned(out.replace(en, zh));
        }
    }
    out
}

/// `label: step: text; step: text`, with each text rewritten where its shape is known.
fn steps(line: &str) -> String {
    line.split("; ")
        .map(|seg| {
            // The text after the last `check-id: ` prefix is what a check would have said.
            let mut head = String::new();
            let mut rest = seg;
            while let Some((first, after)) = rest.split_once(": ") {
                let id = first.rsplit(' ').next().unwrap_or(first);
                if crate::probe::PROBES.iter().any(|p| p.id == id)
                    || (head.is_empty() && first.split(' ').count() <= 2)
                {
                    head.push_str(first);
                    head.push_str(": ");
                    rest = after;
                } else {
                    break;
                }
                if compiled().iter().any(|(re, _)| re.is_match(rest)) {
                    break;
                }
            }
            match compiled().iter().find(|(re, _)| re.is_match(rest)) {
                Some((re, to)) => format!("{head}{}", re.replace(rest, *to)),
                None => seg.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("；")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shape_compiles_and_values_survive() {
        assert_eq!(compiled().len(), LINES.len());
        assert_eq!(
            check_line(
                "no address accepted a connection: 127.0.0.1:1: Connection refused (os error 111)"
            ),
            "没有地址接受连接：127.0.0.1:1: Connection refused (os error 111)"
        );
        assert_eq!(
            check_line("daemon: direct (no proxy set); shell: direct (no proxy set)"),
            "守护进程：直连（未设置代理）；当前 shell：直连（未设置代理）"
        );
        assert_eq!(check_line("something new"), "something new");
        assert_eq!(
            check_line(
                "realm 127.0.0.1:1: dns: 127.0.0.1 is an IP address: nothing to resolve; tcp: no address accepted a connection: 127.0.0.1:1: refused"
            ),
            "realm 127.0.0.1:1: dns: 127.0.0.1 是 IP 地址：无需解析；tcp: 没有地址接受连接：127.0.0.1:1: refused"
        );
    }
}
