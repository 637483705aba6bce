# shellcheck shell=bash
# Builds the small base image that every segment loads: busybox-static with its applets
# linked, packed in the `docker load` format so that it arrives already tagged.
# Sourced by host-setup.sh.

# carina_build_base_image BUSYBOX OUT_TAR REPO TAG: writes OUT_TAR atomically.
carina_build_base_image() {
  local busybox=$1 out=$2 repo=$3 tag=$4
  local tmp applet layer_sha config config_sha
  tmp=$(mktemp -d)
  # shellcheck disable=SC2064  # expand now: the local goes out of scope
  trap "rm -rf '$tmp'" RETURN

  mkdir -p "$tmp/root"/{bin,etc,root,tmp,proc,sys,dev,var}
  chmod 1777 "$tmp/root/tmp"
  cp "$busybox" "$tmp/root/bin/busybox"
  for applet in $("$busybox" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$tmp/root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$tmp/root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$tmp/root/etc/group"

  # Fixed owners and times: the same busybox gives the same image id on every machine.
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
    -C "$tmp/root" -cf "$tmp/layer.tar" .
  layer_sha=$(sha256sum "$tmp/layer.tar" | cut -d' ' -f1)

  mkdir -p "$tmp/image/$layer_sha"
  mv "$tmp/layer.tar" "$tmp/image/$layer_sha/layer.tar"
  config=$(printf '{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$layer_sha")
  config_sha=$(printf '%s' "$config" | sha256sum | cut -d' ' -f1)
  printf '%s' "$config" >"$tmp/image/$config_sha.json"
  printf '[{"Config":"%s.json","RepoTags":["%s:%s"],"Layers":["%s/layer.tar"]}]' \
    "$config_sha" "$repo" "$tag" "$layer_sha" >"$tmp/image/manifest.json"
  printf '{"%s":{"%s":"%s"}}' "$repo" "$tag" "$layer_sha" >"$tmp/image/repositories"

  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
    -C "$tmp/image" -cf "$out.tmp.$$" .
  mv -f "$out.tmp.$$" "$out"
}
