# libvirtd's TLS listener on loopback: this machine's libvirtd reached as the control
# plane reaches any other host's, over libvirt's network protocol (the `lxc+tls://` URI
# that libvirt_tls_uri prints), with certificates of a CA of this machine's own.
# shellcheck shell=bash
#
# Layout below $LIBVIRT_PKI (root only): ca/ (the CA and its key), server/ (libvirtd's
# certificate for 127.0.0.1), client/ (what libvirt's client reads through
# `?pkipath=`: cacert.pem, clientcert.pem, clientkey.pem) and libvirtd.conf.

LIBVIRT_PKI=/var/lib/carina-libvirt
LIBVIRT_TLS_PORT=16514

# Signs a certificate for $1 (a directory and base name: cert.pem and key.pem follow)
# with the CA, with extensions $2 (an openssl extension section's lines).
libvirt_pki_issue() {
  local base=$1 extensions=$2 subject=$3
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "$subject" \
    -keyout "$base-key.pem" -out "$base.csr" 2>/dev/null
  printf '%s\n' "$extensions" >"$base.ext"
  openssl x509 -req -in "$base.csr" -CA "$LIBVIRT_PKI/ca/cacert.pem" -CAkey "$LIBVIRT_PKI/ca/cakey.pem" \
    -CAcreateserial -days 3650 -sha256 -extfile "$base.ext" -out "$base-cert.pem" 2>/dev/null
  rm -f "$base.csr" "$base.ext"
}

# Makes the CA, libvirtd's and the client's certificates, and libvirtd's configuration,
# once.
ensure_libvirt_pki() {
  [ -f "$LIBVIRT_PKI/libvirtd.conf" ] && return 0
  log "making libvirtd's TLS certificates for 127.0.0.1"
  rm -rf "$LIBVIRT_PKI"
  mkdir -p -m 700 "$LIBVIRT_PKI" "$LIBVIRT_PKI/ca" "$LIBVIRT_PKI/server" "$LIBVIRT_PKI/client"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -sha256 \
    -subj "/O=Carina/CN=carina libvirt CA" -keyout "$LIBVIRT_PKI/ca/cakey.pem" -out "$LIBVIRT_PKI/ca/cacert.pem" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  libvirt_pki_issue "$LIBVIRT_PKI/server/server" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1" "/O=Carina/CN=127.0.0.1"
  libvirt_pki_issue "$LIBVIRT_PKI/client/client" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth" "/O=Carina/CN=carina control plane"
  cp "$LIBVIRT_PKI/ca/cacert.pem" "$LIBVIRT_PKI/client/cacert.pem"
  mv "$LIBVIRT_PKI/client/client-cert.pem" "$LIBVIRT_PKI/client/clientcert.pem"
  mv "$LIBVIRT_PKI/client/client-key.pem" "$LIBVIRT_PKI/client/clientkey.pem"
  chmod 600 "$LIBVIRT_PKI"/*/*key.pem
  cat >"$LIBVIRT_PKI/libvirtd.conf.new" <<CONF
# Written by scripts/host-setup.sh: libvirtd's defaults, and TLS on loopback only.
listen_tls = 1
listen_tcp = 0
listen_addr = "127.0.0.1"
tls_port = "$LIBVIRT_TLS_PORT"
ca_file = "$LIBVIRT_PKI/ca/cacert.pem"
cert_file = "$LIBVIRT_PKI/server/server-cert.pem"
key_file = "$LIBVIRT_PKI/server/server-key.pem"
CONF
  mv "$LIBVIRT_PKI/libvirtd.conf.new" "$LIBVIRT_PKI/libvirtd.conf"
}

# The URI of this machine's libvirtd over TLS.
libvirt_tls_uri() {
  echo "lxc+tls://127.0.0.1/system?pkipath=$LIBVIRT_PKI/client"
}

# Whether libvirtd (pid $1) was started with the TLS listener.
libvirtd_listens() {
  tr '\0' ' ' <"/proc/$1/cmdline" | grep -q -- "--listen"
}
