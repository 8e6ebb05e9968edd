//! A light reading of an SDP offer's media sections, enough to check what a
//! client wants to publish before handing the offer to str0m.

/// Largest SDP accepted, in bytes.
pub const MAX_SDP_BYTES: usize = 60_000;

/// One `m=` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaSection {
    /// `audio`, `video` or `application`.
    pub kind: String,
    /// Its `a=mid`.
    pub mid: Option<String>,
    /// The offerer sends on it (`sendrecv`, the default, or `sendonly`).
    pub sends: bool,
    /// The section is rejected (port 0).
    pub rejected: bool,
}

/// The media sections of `sdp`, in order.
pub fn sections(sdp: &str) -> Vec<MediaSection> {
    let mut out: Vec<MediaSection> = Vec::new();
    for line in sdp.lines().map(str::trim_end) {
        if let Some(m) = line.strip_prefix("m=") {
            let mut parts = m.split_whitespace();
            let kind = parts.next().unwrap_or_default().to_owned();
            let rejected = parts.next() == Some("0");
            out.push(MediaSection { kind, mid: None, sends: true, rejected });
        } else if let Some(section) = out.last_mut() {
            if let Some(mid) = line.strip_prefix("a=mid:") {
                section.mid = Some(mid.trim().to_owned());
            } else if line == "a=recvonly" || line == "a=inactive" {
                section.sends = false;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kinds_mids_and_directions() {
        let sdp = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n\
                   m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=sendonly\r\n\
                   m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\na=recvonly\r\n\
                   m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=mid:2\r\n\
                   m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:3\r\n";
        let s = sections(sdp);
        assert_eq!(s.len(), 4);
        assert_eq!((s[0].kind.as_str(), s[0].mid.as_deref(), s[0].sends), ("audio", Some("0"), true));
        assert!(!s[1].sends);
        assert!(s[2].rejected && s[2].sends);
        assert_eq!(s[3].kind, "application");
        assert!(sections("garbage").is_empty());
    }
}
