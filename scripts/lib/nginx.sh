# A real nginx in front of a panel, from the example in deploy/nginx.conf, for the
# end-to-end tests: its own prefix, configuration, certificate and logs in a directory
# of its own, listening on loopback only. Source after common.sh.

# start_nginx DIR LISTEN_PORT UPSTREAM_PORT: nginx on https://localhost:LISTEN_PORT in
# front of the panel on 127.0.0.1:UPSTREAM_PORT; its pid in DIR/nginx.pid.
start_nginx() {
  local dir=$1 listen=$2 upstream=$3
  mkdir -p "$dir/tmp"
  # Workers run as nobody: they read nothing here but write their temporary files.
  chmod 0755 "$dir"; chmod 0777 "$dir/tmp"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
    -subj /CN=localhost -addext subjectAltName=DNS:localhost \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
  # The example's HTTPS server as it is, but for its address and certificate.
  awk '/^server \{/ {on=1} on {print} on && /^\}/ {exit}' "$REPO_ROOT/deploy/nginx.conf" |
    sed -e "s|listen 443 ssl;|listen 127.0.0.1:$listen ssl;|" \
        -e "s|server_name .*;|server_name localhost;|" \
        -e "s|ssl_certificate .*;|ssl_certificate $dir/cert.pem;|" \
        -e "s|ssl_certificate_key .*;|ssl_certificate_key $dir/key.pem;|" \
        -e "s|proxy_pass http://127.0.0.1:3000;|proxy_pass http://127.0.0.1:$upstream;|" >"$dir/carina.conf"
  grep -q "127.0.0.1:$upstream" "$dir/carina.conf" || die "deploy/nginx.conf no longer has the lines the tests rewrite"
  cat >"$dir/nginx.conf" <<CONF
pid $dir/nginx.pid;
error_log $dir/error.log;
worker_processes 1;
events {}
http {
  access_log $dir/access.log;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  include $dir/carina.conf;
}
CONF
  /usr/sbin/nginx -p "$dir" -c "$dir/nginx.conf" || { cat "$dir/error.log" >&2; die "nginx did not start"; }
}

# stop_nginx DIR: stops the nginx start_nginx started there, if it runs.
stop_nginx() {
  local pid
  pid=$(cat "$1/nginx.pid" 2>/dev/null) || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
}
