//! The libvirt LXC domain definition of a segment.

use std::fmt::Write as _;
use std::path::Path;

use crate::dockerd::{INIT_SCRIPT, TINI};
use crate::userns::{CAPABILITIES, ID_BASE, ID_COUNT};
use crate::{HostConfig, SegmentLayout, SegmentSpec};

/// XML namespace of the metadata element that marks a domain as this instance's.
pub(crate) const METADATA_URI: &str = "urn:x-carina:segment:1";
/// Prefix used for [`METADATA_URI`] in the domain XML.
const METADATA_PREFIX: &str = "carina";

/// CFS period for the CPU quota: the quota is `vcpus` periods.
const CPU_PERIOD_US: u64 = 100_000;

/// Renders the domain XML of `spec`. `uuid` is the existing domain's when redefining it
/// (libvirt refuses a second definition of a name under a new UUID). `apparmor_label` is
/// the profile to confine the segment with, only where the kernel enforces AppArmor.
pub fn domain_xml(
    config: &HostConfig,
    spec: &SegmentSpec,
    layout: &SegmentLayout,
    uuid: Option<&str>,
    apparmor_label: Option<&str>,
) -> String {
    let memory_kib = spec.memory_mib * 1024;
    let vcpus = spec.vcpus.max(1);
    let quota = u64::from(vcpus) * CPU_PERIOD_US;
    let mut x = String::new();
    // Writing to a String cannot fail.
    let _ = write!(
        x,
        "<domain type='lxc'>\n\
         \x20 <name>{name}</name>\n\
         {uuid}\
         \x20 <metadata>\n\
         \x20   <{p}:owner xmlns:{p}='{uri}' state-dir='{state_dir}'/>\n\
         \x20 </metadata>\n\
         \x20 <memory unit='KiB'>{memory_kib}</memory>\n\
         \x20 <currentMemory unit='KiB'>{memory_kib}</currentMemory>\n\
         \x20 <vcpu placement='static'>{vcpus}</vcpu>\n\
         \x20 <cputune>\n\
         \x20   <period>{CPU_PERIOD_US}</period>\n\
         \x20   <quota>{quota}</quota>\n\
         \x20 </cputune>\n\
         \x20 <os>\n\
         \x20   <type>exe</type>\n\
         \x20   <init>{TINI}</init>\n\
         \x20   <initarg>--</initarg>\n\
         \x20   <initarg>/usr/bin/sh</initarg>\n\
         \x20   <initarg>{INIT_SCRIPT}</initarg>\n\
         \x20 </os>\n\
         \x20 <idmap>\n\
         \x20   <uid start='0' target='{ID_BASE}' count='{ID_COUNT}'/>\n\
         \x20   <gid start='0' target='{ID_BASE}' count='{ID_COUNT}'/>\n\
         \x20 </idmap>\n\
         \x20 <features>\n\
         \x20   <privnet/>\n\
         \x20   <capabilities policy='deny'>\n\
         {caps}\
         \x20   </capabilities>\n\
         \x20 </features>\n\
         \x20 <clock offset='utc'/>\n\
         \x20 <on_poweroff>destroy</on_poweroff>\n\
         \x20 <on_reboot>restart</on_reboot>\n\
         \x20 <on_crash>destroy</on_crash>\n\
         \x20 <devices>\n",
        name = esc(&spec.name),
        uuid = uuid.map(|u| format!("  <uuid>{}</uuid>\n", esc(u))).unwrap_or_default(),
        p = METADATA_PREFIX,
        uri = METADATA_URI,
        state_dir = esc_path(&config.state_dir),
        caps = CAPABILITIES.iter().map(|c| format!("      <{c} state='on'/>\n")).collect::<String>(),
    );
    fs(&mut x, &layout.root(), "/");
    fs(&mut x, &layout.docker(), "/var/lib/docker");
    fs(&mut x, &layout.run(), "/run");
    let _ = write!(
        x,
        "    <interface type='bridge'>\n\
         \x20     <source bridge='{bridge}'/>\n\
         \x20     <target dev='{veth}'/>\n\
         \x20     <mac address='{mac}'/>\n\
         \x20     <ip address='{addr}' family='ipv4' prefix='{prefix}'/>\n\
         \x20     <route family='ipv4' address='0.0.0.0' prefix='0' gateway='{gw}'/>\n\
         \x20   </interface>\n\
         \x20   <console type='pty'/>\n\
         \x20 </devices>\n",
        bridge = esc(&config.bridge),
        veth = crate::isolation::veth_name(&spec.name),
        // Fixed, so the MAC anti-spoofing rules exist before the domain starts.
        mac = crate::link_filter::mac_address(spec.address),
        addr = spec.address,
        prefix = config.prefix_len,
        gw = config.gateway,
    );
    if let Some(label) = apparmor_label {
        let _ = writeln!(
            x,
            "  <seclabel type='static' model='apparmor' relabel='no'>\n\
             \x20   <label>{}</label>\n\
             \x20 </seclabel>",
            esc(label)
        );
    }
    x.push_str("</domain>\n");
    x
}

fn fs(x: &mut String, source: &Path, target: &str) {
    let _ = write!(
        x,
        "    <filesystem type='mount' accessmode='passthrough'>\n\
         \x20     <source dir='{}'/>\n\
         \x20     <target dir='{}'/>\n\
         \x20   </filesystem>\n",
        esc_path(source),
        esc(target)
    );
}

/// Extracts the state dir from the metadata element libvirt hands back for
/// [`METADATA_URI`] (libvirt may re-serialize it, with either quote style).
pub(crate) fn owner_from_metadata(element: &str) -> Option<String> {
    let start = element.find("state-dir=")? + "state-dir=".len();
    let quote = element[start..].chars().next()?;
    if quote != '\'' && quote != '"' {
        return None;
    }
    let rest = &element[start + 1..];
    let end = rest.find(quote)?;
    Some(unescape(&rest[..end]))
}

fn esc_path(path: &Path) -> String {
    esc(&path.to_string_lossy())
}

/// Escapes text for use in XML content and in attributes of either quote style.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&apos;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&apos;", "'").replace("&quot;", "\"").replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SegmentTls;
    use std::net::Ipv4Addr;
    use std::path::PathBuf;

    fn fixture() -> (HostConfig, SegmentSpec, SegmentLayout) {
        let config = HostConfig {
            state_dir: PathBuf::from("/srv/segs/it's&me"),
            rootfs: PathBuf::from("/srv/images/rootfs"),
            base_image_tar: PathBuf::from("/srv/images/base-image.tar"),
            bridge: "carinat0".into(),
            gateway: Ipv4Addr::new(10, 214, 0, 1),
            prefix_len: 24,
            libvirt_uri: "lxc:///system".into(),
            docker_over_tls: false,
        };
        let spec = SegmentSpec {
            name: "57d513b9-ed36-487d-8415-4ac65b6d41a8-n1".into(),
            address: Ipv4Addr::new(10, 214, 0, 11),
            memory_mib: 2048,
            vcpus: 2,
            disk_mib: 20480,
            pids_max: 4096,
            tls: SegmentTls {
                ca_pem: String::new(),
                client_ca_pem: String::new(),
                cert_pem: String::new(),
                key_pem: String::new(),
                listener_cert_pem: String::new(),
                listener_key_pem: String::new(),
            },
        };
        let layout = SegmentLayout::new(&config.state_dir, &spec.name);
        (config, spec, layout)
    }

    #[test]
    fn has_limits_network_features_and_init() {
        let (config, spec, layout) = fixture();
        let xml = domain_xml(&config, &spec, &layout, None, None);
        assert!(xml.contains("<domain type='lxc'>"));
        assert!(xml.contains("<name>57d513b9-ed36-487d-8415-4ac65b6d41a8-n1</name>"));
        assert!(xml.contains("<memory unit='KiB'>2097152</memory>"));
        assert!(xml.contains("<vcpu placement='static'>2</vcpu>"));
        assert!(xml.contains("<quota>200000</quota>"));
        assert!(xml.contains("<privnet/>"));
        assert!(xml.contains("<capabilities policy='deny'>\n      <chown state='on'/>\n"));
        assert!(xml.contains("<init>/usr/bin/tini</init>"));
        assert!(xml.contains("<initarg>/etc/carina/segment-init</initarg>"));
        assert!(xml.contains("<source bridge='carinat0'/>"));
        assert!(xml.contains("<ip address='10.214.0.11' family='ipv4' prefix='24'/>"));
        assert!(xml.contains("gateway='10.214.0.1'"));
        assert!(xml.contains("<mac address='02:ca:0a:d6:00:0b'/>"));
        assert!(!xml.contains("seclabel"));
        assert!(!xml.contains("<uuid>"));
    }

    #[test]
    fn runs_in_a_user_namespace_with_few_capabilities() {
        let (config, spec, layout) = fixture();
        let xml = domain_xml(&config, &spec, &layout, None, None);
        assert!(xml.contains(
            "<idmap>\n    <uid start='0' target='100000' count='65536'/>\n    \
             <gid start='0' target='100000' count='65536'/>\n  </idmap>"
        ));
        let kept: Vec<&str> =
            xml.lines().filter_map(|l| l.trim().strip_suffix(" state='on'/>")?.strip_prefix('<')).collect();
        assert_eq!(kept, CAPABILITIES);
        for needed in ["sys_admin", "net_admin", "audit_write", "net_raw", "mknod", "setfcap"] {
            assert!(kept.contains(&needed), "{needed}");
        }
        for dropped in ["sys_module", "sys_rawio", "sys_time", "sys_boot", "sys_ptrace", "mac_admin", "syslog", "bpf"] {
            assert!(!xml.contains(dropped), "{dropped}");
        }
        assert!(!xml.contains("state='off'"));
    }

    /// The generated XML against libvirt's schema, where `virt-xml-validate` is installed.
    #[test]
    fn validates_against_libvirts_schema() {
        let (config, spec, layout) = fixture();
        let xml = domain_xml(&config, &spec, &layout, Some("15ee0ca0-ef3d-4189-9d9c-180199eee2ce"), Some("carina-x"));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("domain.xml");
        std::fs::write(&file, xml).unwrap();
        // virt-xml-validate (libvirt-clients) runs xmllint (libxml2-utils).
        if std::process::Command::new("xmllint").arg("--version").output().is_err() {
            eprintln!("xmllint missing: schema not checked");
            return;
        }
        match std::process::Command::new("virt-xml-validate").arg(&file).arg("domain").output() {
            Ok(out) => assert!(
                out.status.success(),
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(_) => eprintln!("virt-xml-validate missing: schema not checked"),
        }
    }

    #[test]
    fn keeps_the_uuid_of_a_domain_it_redefines() {
        let (config, spec, layout) = fixture();
        let uuid = "15ee0ca0-ef3d-4189-9d9c-180199eee2ce";
        let xml = domain_xml(&config, &spec, &layout, Some(uuid), None);
        assert!(xml.contains(&format!("</name>\n  <uuid>{uuid}</uuid>\n  <metadata>")));
    }

    #[test]
    fn mounts_overlay_root_docker_dir_and_run_only() {
        let (config, spec, layout) = fixture();
        let xml = domain_xml(&config, &spec, &layout, None, None);
        let dir = "/srv/segs/it&apos;s&amp;me/57d513b9-ed36-487d-8415-4ac65b6d41a8-n1";
        assert!(xml.contains(&format!("<source dir='{dir}/root'/>\n      <target dir='/'/>")));
        assert!(xml.contains(&format!("<source dir='{dir}/docker'/>\n      <target dir='/var/lib/docker'/>")));
        assert!(xml.contains(&format!("<source dir='{dir}/run'/>\n      <target dir='/run'/>")));
        assert_eq!(xml.matches("<filesystem").count(), 3);
        // The shared root filesystem is only ever an overlay's lower layer.
        assert!(!xml.contains("/srv/images"));
    }

    #[test]
    fn records_owner_and_reads_it_back() {
        let (config, spec, layout) = fixture();
        let xml = domain_xml(&config, &spec, &layout, None, None);
        let line = xml.lines().find(|l| l.contains("carina:owner")).unwrap();
        assert_eq!(owner_from_metadata(line).as_deref(), Some("/srv/segs/it's&me"));
        // libvirt hands the element back re-serialized with double quotes.
        let echoed = "<carina:owner xmlns:carina=\"urn:x-carina:segment:1\" state-dir=\"/a/b&amp;c\"/>";
        assert_eq!(owner_from_metadata(echoed).as_deref(), Some("/a/b&c"));
    }

    #[test]
    fn adds_apparmor_seclabel_when_asked() {
        let (config, spec, layout) = fixture();
        let xml = domain_xml(&config, &spec, &layout, None, Some("carina-x"));
        assert!(xml.contains("<seclabel type='static' model='apparmor' relabel='no'>"));
        assert!(xml.contains("<label>carina-x</label>"));
    }
}
