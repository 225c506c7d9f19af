//! What the host names of the cloud registries in the seeds look like (Huawei SWR, Alibaba ACR
//! and its accelerator), for the DNS step: a name that failed to resolve gets the right format
//! and, when it is a near miss, the name it probably meant; a VPC endpoint is told apart from
//! its public twin; private addresses are recognised.
//!
//! Region lists are what regdoctor knows, not a promise of what exists: an unknown region is
//! only called out when it is one or two typos away from a known one.

use std::net::IpAddr;

const SWR_DOMAIN: &str = "myhuaweicloud.com";
/// SWR's old domain, still seen in scripts (seed 003's `registry.cn-north-1.hwclouds.com`).
const SWR_OLD_DOMAIN: &str = "hwclouds.com";
const ACR_DOMAIN: &str = "aliyuncs.com";

const HUAWEI_REGIONS: &[&str] = &[
    "cn-north-1",
    "cn-north-2",
    "cn-north-4",
    "cn-north-9",
    "cn-east-2",
    "cn-east-3",
    "cn-east-4",
    "cn-south-1",
    "cn-south-2",
    "cn-south-4",
    "cn-southwest-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "af-south-1",
    "la-north-2",
    "la-south-2",
    "na-mexico-1",
    "sa-brazil-1",
    "tr-west-1",
    "me-east-1",
    "eu-west-0",
    "ru-northwest-2",
];

const ALIBABA_REGIONS: &[&str] = &[
    "cn-hangzhou",
    "cn-shanghai",
    "cn-qingdao",
    "cn-beijing",
    "cn-zhangjiakou",
    "cn-huhehaote",
    "cn-wulanchabu",
    "cn-shenzhen",
    "cn-heyuan",
    "cn-guangzhou",
    "cn-chengdu",
    "cn-nanjing",
    "cn-fuzhou",
    "cn-wuhan-lr",
    "cn-hongkong",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-southeast-1",
    "ap-southeast-3",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ap-south-1",
    "us-east-1",
    "us-west-1",
    "eu-west-1",
    "eu-central-1",
    "me-east-1",
    "me-central-1",
    "na-south-1",
];

/// RFC 1918, carrier-grade NAT (100.64.0.0/10, which cloud intranets use) and IPv6 unique local
/// addresses (fc00::/7): reachable only inside some private network.
pub fn is_private(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_private() || (o[0] == 100 && (o[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => (v6.segments()[0] & 0xfe00) == 0xfc00,
    }
}

/// A name of one of the cloud registries the seeds describe (whatever its form).
pub fn is_cloud_registry_name(host: &str) -> bool {
    let h = host.to_ascii_lowercase();
    let h = h.trim_end_matches('.');
    h.ends_with(&format!(".{SWR_DOMAIN}"))
        || h.ends_with(&format!(".{SWR_OLD_DOMAIN}"))
        || h.ends_with(&format!(".{ACR_DOMAIN}"))
}

/// For an Alibaba VPC endpoint (`registry-vpc.<region>.aliyuncs.com`,
/// `<instance>-registry-vpc.<region>.cr.aliyuncs.com`, `dockerauth-vpc...`): its public twin,
/// the same name without `-vpc` in the first label.
pub fn vpc_public_twin(host: &str) -> Option<String> {
    let h = host.to_ascii_lowercase();
    let h = h.trim_end_matches('.');
    if !h.ends_with(&format!(".{ACR_DOMAIN}")) {
        return None;
    }
    let (first, rest) = h.split_once('.')?;
    let public = first.strip_suffix("-vpc")?;
    (!public.is_empty()).then(|| format!("{public}.{rest}"))
}

/// SWR reached over Huawei Cloud's intranet: the public name itself resolves to intranet
/// addresses from an ECS/CCE host in the same region (seed 003 §6.5).
pub fn is_swr_name(host: &str) -> bool {
    let h = host.to_ascii_lowercase();
    h.trim_end_matches('.').ends_with(&format!(".{SWR_DOMAIN}"))
}

/// Levenshtein distance, for near misses of a few characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest of `known` within two edits, when `word` is not itself one of them.
fn near_miss<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    if known.contains(&word) {
        return None;
    }
    known
        .iter()
        .map(|k| (distance(word, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// A provider's address format for a name that did not resolve, and the name it probably
/// meant when it is a near miss.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    pub text: String,
    pub suggestion: Option<String>,
}

fn hint(text: String, suggestion: Option<String>) -> Option<Hint> {
    Some(Hint { text, suggestion })
}

pub fn provider_hint(host: &str) -> Option<Hint> {
    let h = host.to_ascii_lowercase();
    let h = h.trim_end_matches('.');
    let labels: Vec<&str> = h.split('.').collect();
    if labels.len() < 2 {
        return None;
    }
    let domain = labels[labels.len() - 2..].join(".");
    let region_label = |i: usize| labels.get(i).copied().unwrap_or_default();

    // Huawei SWR: swr.<region>.myhuaweicloud.com (and the old hwclouds.com domain).
    let swr_domain_typo = domain != SWR_DOMAIN && distance(&domain, SWR_DOMAIN) <= 3;
    if domain == SWR_OLD_DOMAIN || swr_domain_typo || domain == SWR_DOMAIN {
        let region = (labels.len() == 4).then(|| region_label(1));
        let fixed_region = region.map(|r| near_miss(r, HUAWEI_REGIONS).unwrap_or(r));
        let suggestion = fixed_region.map(|r| format!("swr.{r}.{SWR_DOMAIN}"));
        let well_formed = labels.len() == 4 && labels[0] == "swr" && domain == SWR_DOMAIN;
        if well_formed {
            let r = region_label(1);
            return match near_miss(r, HUAWEI_REGIONS) {
                Some(known) => hint(
                    format!(
                        "{h} has SWR's format, but the region {r:?} is not one regdoctor knows; {known:?} is close"
                    ),
                    suggestion,
                ),
                None => hint(
                    format!(
                        "{h} has SWR's format (swr.<region>.myhuaweicloud.com): check that the region exists and that this network's DNS can see it (intranet access needs the VPC's DNS)"
                    ),
                    None,
                ),
            };
        }
        let why = if domain == SWR_OLD_DOMAIN {
            format!("{SWR_OLD_DOMAIN} is SWR's old domain")
        } else if swr_domain_typo {
            format!("{domain:?} looks like a misspelling of {SWR_DOMAIN}")
        } else {
            "the name does not have SWR's shape".to_string()
        };
        return hint(
            format!(
                "{why}; Huawei SWR addresses look like swr.<region>.{SWR_DOMAIN}, e.g. swr.cn-north-4.{SWR_DOMAIN}"
            ),
            suggestion,
        );
    }

    // Alibaba ACR: registry[-vpc].<region>.aliyuncs.com, <instance>-registry[-vpc].<region>.cr.
    // aliyuncs.com, and the accelerator <id>.mirror.aliyuncs.com.
    let acr_domain_typo = domain != ACR_DOMAIN && distance(&domain, ACR_DOMAIN) <= 2;
    if domain == ACR_DOMAIN || acr_domain_typo {
        let formats = format!(
            "Alibaba ACR addresses look like registry.<region>.{ACR_DOMAIN} (e.g. registry.cn-hangzhou.{ACR_DOMAIN}), <instance>-registry.<region>.cr.{ACR_DOMAIN}, or <id>.mirror.{ACR_DOMAIN} for the accelerator"
        );
        if acr_domain_typo {
            let mut fixed: Vec<&str> = labels[..labels.len() - 2].to_vec();
            fixed.push("aliyuncs");
            fixed.push("com");
            return hint(
                format!("{domain:?} looks like a misspelling of {ACR_DOMAIN}; {formats}"),
                Some(fixed.join(".")),
            );
        }
        if let Some(public) = vpc_public_twin(h) {
            return hint(
                format!(
                    "{h} is an Alibaba Cloud VPC endpoint: it resolves only inside that region's VPC; from elsewhere use the public endpoint {public}"
                ),
                Some(public),
            );
        }
        // registry.<region>.aliyuncs.com, with typos in "registry" or the region.
        if labels.len() == 4 && labels[1] != "mirror" {
            let first = near_miss(labels[0], &["registry"]).unwrap_or(labels[0]);
            let region = near_miss(labels[1], ALIBABA_REGIONS).unwrap_or(labels[1]);
            let fixed = format!("{first}.{region}.{ACR_DOMAIN}");
            if fixed != h && first == "registry" {
                return hint(format!("{h} is a near miss; {formats}"), Some(fixed));
            }
            if labels[0] == "registry" {
                return hint(
                    format!("{h} has ACR's format; check the region and this network's DNS"),
                    None,
                );
            }
        }
        if labels.len() == 4 && labels[1] == "mirror" {
            return hint(
                format!(
                    "{h} has the accelerator's format (<id>.mirror.{ACR_DOMAIN}): copy the id again from the ACR console's image accelerator page"
                ),
                None,
            );
        }
        if labels.len() == 5 && labels[2] == "cr" {
            return hint(
                format!(
                    "{h} has the ACR Enterprise format (<instance>-registry.<region>.cr.{ACR_DOMAIN}); check the instance name and region"
                ),
                None,
            );
        }
        // mirror.aliyuncs.com misspelt in the accelerator's middle label.
        if labels.len() == 4 && distance(labels[1], "mirror") <= 2 {
            return hint(formats, Some(format!("{}.mirror.{ACR_DOMAIN}", labels[0])));
        }
        return hint(formats, None);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suggestion(host: &str) -> Option<String> {
        provider_hint(host).and_then(|h| h.suggestion)
    }

    #[test]
    fn private_ranges() {
        for ip in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.255",
            "fd00::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "8.8.8.8",
            "100.128.0.1",
            "127.0.0.1",
            "2001:db8::1",
            "172.32.0.1",
        ] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn vpc_endpoints_have_public_twins() {
        assert_eq!(
            vpc_public_twin("registry-vpc.cn-shenzhen.aliyuncs.com").as_deref(),
            Some("registry.cn-shenzhen.aliyuncs.com")
        );
        assert_eq!(
            vpc_public_twin("acme-registry-vpc.cn-hangzhou.cr.aliyuncs.com").as_deref(),
            Some("acme-registry.cn-hangzhou.cr.aliyuncs.com")
        );
        assert_eq!(vpc_public_twin("registry.cn-shenzhen.aliyuncs.com"), None);
        assert_eq!(vpc_public_twin("registry-vpc.example.com"), None);
    }

    #[test]
    fn near_misses_get_the_name_they_meant() {
        assert_eq!(
            suggestion("swr.cn-north4.myhuaweicloud.com").as_deref(),
            Some("swr.cn-north-4.myhuaweicloud.com")
        );
        assert_eq!(
            suggestion("swr.cn-north-4.myhuaweicoud.com").as_deref(),
            Some("swr.cn-north-4.myhuaweicloud.com")
        );
        assert_eq!(
            suggestion("registry.cn-north-1.hwclouds.com").as_deref(),
            Some("swr.cn-north-1.myhuaweicloud.com")
        );
        assert_eq!(
            suggestion("regsitry.cn-hangzhou.aliyuncs.com").as_deref(),
            Some("registry.cn-hangzhou.aliyuncs.com")
        );
        assert_eq!(
            suggestion("registry.cn-hangzou.aliyuncs.com").as_deref(),
            Some("registry.cn-hangzhou.aliyuncs.com")
        );
        assert_eq!(
            suggestion("registry.cn-hangzhou.aliyun.com").as_deref(),
            Some("registry.cn-hangzhou.aliyuncs.com")
        );
        assert_eq!(
            suggestion("abc123.mirorr.aliyuncs.com").as_deref(),
            Some("abc123.mirror.aliyuncs.com")
        );
        assert_eq!(
            suggestion("registry-vpc.cn-hangzhou.aliyuncs.com").as_deref(),
            Some("registry.cn-hangzhou.aliyuncs.com")
        );
    }

    #[test]
    fn well_formed_names_get_the_format_only() {
        let h = provider_hint("swr.cn-north-4.myhuaweicloud.com").unwrap();
        assert!(h.text.contains("has SWR's format"), "{h:?}");
        assert_eq!(h.suggestion, None);
        assert!(
            provider_hint("swr.myhuaweicloud.com")
                .unwrap()
                .text
                .contains("swr.<region>")
        );
        let h = provider_hint("registry.cn-hangzhou.aliyuncs.com").unwrap();
        assert!(h.text.contains("has ACR's format"), "{h:?}");
        assert_eq!(h.suggestion, None);
        assert!(
            provider_hint("abc.mirror.aliyuncs.com")
                .unwrap()
                .text
                .contains("accelerator")
        );
        assert_eq!(provider_hint("registry.example.com"), None);
        assert_eq!(provider_hint("localhost"), None);
    }
}
