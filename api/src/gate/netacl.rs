//! Network allowlists: IPv4/IPv6 CIDRs for the admin API, and which address a
//! request really comes from when it passes through trusted proxies.

use std::net::IpAddr;

use axum::http::HeaderMap;
use ipnet::IpNet;

/// An allowlist entry that is neither an IP address nor a CIDR.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an IP address or CIDR (e.g. 203.0.113.7 or 2001:db8::/32)")]
pub struct BadCidr(pub String);

/// Parses a CIDR (`10.0.0.0/8`, `2001:db8::/32`) or a bare address (a /32 or /128).
pub fn parse_cidr(s: &str) -> Result<IpNet, BadCidr> {
    let s = s.trim();
    if let Ok(net) = s.parse::<IpNet>() {
        return Ok(net.trunc());
    }
    s.parse::<IpAddr>().map(IpNet::from).map_err(|_| BadCidr(s.to_owned()))
}

/// Parses a list of CIDRs, naming the first bad entry.
pub fn parse_cidrs<S: AsRef<str>>(items: &[S]) -> Result<Vec<IpNet>, BadCidr> {
    items.iter().map(|s| parse_cidr(s.as_ref())).collect()
}

/// Whether `ip` falls in any of `nets`. IPv4-mapped IPv6 addresses match IPv4 nets.
pub fn allowed(nets: &[IpNet], ip: IpAddr) -> bool {
    let ip = canonical(ip);
    nets.iter().any(|n| n.contains(&ip))
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// The client's address: the TCP peer, unless the peer is a trusted proxy, in which
/// case `X-Forwarded-For` is read from the right, skipping trusted proxies, and the
/// first untrusted hop is the client. With no trusted proxies the header is ignored.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &[IpNet]) -> IpAddr {
    let peer = canonical(peer);
    if !allowed(trusted_proxies, peer) {
        return peer;
    }
    let mut client = peer;
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for hop in hops.iter().rev() {
        let Ok(ip) = hop.parse::<IpAddr>() else {
            // An unparsable hop ends the trusted chain: the last good hop stands.
            break;
        };
        let ip = canonical(ip);
        client = ip;
        if !allowed(trusted_proxies, ip) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn xff(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn cidrs_match_v4_and_v6() {
        let nets = parse_cidrs(&["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"]).unwrap();
        assert!(allowed(&nets, "10.1.2.3".parse().unwrap()));
        assert!(allowed(&nets, "192.0.2.7".parse().unwrap()));
        assert!(!allowed(&nets, "192.0.2.8".parse().unwrap()));
        assert!(allowed(&nets, "2001:db8:1::5".parse().unwrap()));
        assert!(!allowed(&nets, "2001:db9::5".parse().unwrap()));
        assert!(allowed(&nets, "::ffff:10.9.9.9".parse().unwrap()));
        assert!(parse_cidr("10.0.0.0/33").is_err());
        assert!(parse_cidr("example.com").is_err());
        assert_eq!(parse_cidr("10.1.2.3/8").unwrap().to_string(), "10.0.0.0/8");
    }

    #[test]
    fn forwarded_for_is_ignored_without_trusted_proxies() {
        let peer: IpAddr = "198.51.100.1".parse().unwrap();
        assert_eq!(client_ip(peer, &xff("10.0.0.1"), &[]), peer);
    }

    #[test]
    fn forwarded_for_is_read_from_the_right_through_trusted_proxies() {
        let trusted = parse_cidrs(&["127.0.0.1", "10.0.0.0/8"]).unwrap();
        let peer: IpAddr = "127.0.0.1".parse().unwrap();
        // The client forged the left-most entry; the proxies appended the real hops.
        let h = xff("203.0.113.9, 198.51.100.4, 10.0.0.2");
        assert_eq!(client_ip(peer, &h, &trusted), "198.51.100.4".parse::<IpAddr>().unwrap());
        assert_eq!(client_ip(peer, &xff("2001:db8::5"), &trusted), "2001:db8::5".parse::<IpAddr>().unwrap());
        // No header: the proxy itself is the client.
        assert_eq!(client_ip(peer, &HeaderMap::new(), &trusted), peer);
        // Garbage stops the walk at the last good hop.
        assert_eq!(client_ip(peer, &xff("nonsense, 10.0.0.3"), &trusted), "10.0.0.3".parse::<IpAddr>().unwrap());
    }
}
