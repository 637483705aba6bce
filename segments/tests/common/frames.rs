//! Hand-made Ethernet frames sent from inside a segment, as a tenant with root in it could:
//! forged ARP replies and IPv6 router advertisements.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::fd::AsRawFd;

/// A MAC address from its text form (`02:ca:...`).
pub fn mac(text: &str) -> [u8; 6] {
    let bytes: Vec<u8> = text.split(':').map(|b| u8::from_str_radix(b, 16).unwrap()).collect();
    bytes.try_into().unwrap()
}

/// An ARP reply from `src_mac` to `dst_mac` claiming that `claimed_ip` is at `src_mac`.
pub fn arp_reply(src_mac: [u8; 6], claimed_ip: Ipv4Addr, dst_mac: [u8; 6], dst_ip: Ipv4Addr) -> Vec<u8> {
    let mut f = Vec::with_capacity(42);
    f.extend(dst_mac);
    f.extend(src_mac);
    f.extend([0x08, 0x06]);
    // Ethernet, IPv4, 6-byte MACs, 4-byte addresses, reply.
    f.extend([0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x02]);
    f.extend(src_mac);
    f.extend(claimed_ip.octets());
    f.extend(dst_mac);
    f.extend(dst_ip.octets());
    f
}

/// A router advertisement to all nodes: "I am your default router, and here is the prefix
/// `prefix`/64 to autoconfigure addresses from".
pub fn router_advertisement(src_mac: [u8; 6], prefix: Ipv6Addr) -> Vec<u8> {
    let src_ip = link_local(src_mac);
    let dst_ip: Ipv6Addr = "ff02::1".parse().unwrap();
    let mut icmp = vec![134, 0, 0, 0, 64, 0, 0x07, 0x08, 0, 0, 0, 0, 0, 0, 0, 0];
    // Source link-layer address option.
    icmp.extend([1, 1]);
    icmp.extend(src_mac);
    // Prefix information: /64, on-link and autonomous, lifetimes of an hour.
    icmp.extend([3, 4, 64, 0xc0]);
    icmp.extend(3600u32.to_be_bytes());
    icmp.extend(3600u32.to_be_bytes());
    icmp.extend([0; 4]);
    icmp.extend(prefix.octets());
    let sum = icmpv6_checksum(src_ip, dst_ip, &icmp);
    icmp[2..4].copy_from_slice(&sum.to_be_bytes());

    let mut f = Vec::new();
    f.extend([0x33, 0x33, 0, 0, 0, 1]);
    f.extend(src_mac);
    f.extend([0x86, 0xdd]);
    f.extend([0x60, 0, 0, 0]);
    f.extend((icmp.len() as u16).to_be_bytes());
    f.extend([58, 255]);
    f.extend(src_ip.octets());
    f.extend(dst_ip.octets());
    f.extend(icmp);
    f
}

/// The EUI-64 link-local address of a MAC.
pub fn link_local(mac: [u8; 6]) -> Ipv6Addr {
    let b = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, mac[0] ^ 2, mac[1], mac[2], 0xff, 0xfe, mac[3], mac[4], mac[5]];
    Ipv6Addr::from(b)
}

fn icmpv6_checksum(src: Ipv6Addr, dst: Ipv6Addr, payload: &[u8]) -> u16 {
    let mut data = Vec::new();
    data.extend(src.octets());
    data.extend(dst.octets());
    data.extend((payload.len() as u32).to_be_bytes());
    data.extend([0, 0, 0, 58]);
    data.extend(payload);
    if data.len() % 2 == 1 {
        data.push(0);
    }
    let mut sum: u32 = data.chunks(2).map(|c| u32::from(u16::from_be_bytes([c[0], c[1]]))).sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Sends `frame` `count` times on `iface` inside the network namespace of process `pid`.
pub fn send(pid: u32, iface: &str, frame: &[u8], count: usize) {
    let (iface, frame) = (iface.to_owned(), frame.to_vec());
    // setns changes only the calling thread: a thread of its own enters the namespace.
    std::thread::spawn(move || unsafe {
        let ns = std::fs::File::open(format!("/proc/{pid}/ns/net")).unwrap();
        assert_eq!(libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET), 0, "setns");
        let fd = libc::socket(libc::AF_PACKET, libc::SOCK_RAW, 0);
        assert!(fd >= 0, "AF_PACKET socket");
        let name = std::ffi::CString::new(iface).unwrap();
        let index = libc::if_nametoindex(name.as_ptr());
        assert!(index > 0, "no such interface");
        let mut addr: libc::sockaddr_ll = std::mem::zeroed();
        addr.sll_family = libc::AF_PACKET as u16;
        addr.sll_ifindex = index as i32;
        addr.sll_halen = 6;
        addr.sll_addr[..6].copy_from_slice(&frame[..6]);
        for _ in 0..count {
            let sent = libc::sendto(
                fd,
                frame.as_ptr().cast(),
                frame.len(),
                0,
                (&addr as *const libc::sockaddr_ll).cast(),
                std::mem::size_of::<libc::sockaddr_ll>() as u32,
            );
            assert_eq!(sent, frame.len() as isize, "sendto: {}", std::io::Error::last_os_error());
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        libc::close(fd);
    })
    .join()
    .unwrap();
}
