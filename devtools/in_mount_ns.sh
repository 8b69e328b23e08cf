#!/bin/sh
# Run a command (as root) in a private mount namespace: nothing it mounts is seen outside or outlives it.
# Inside, mounts are made shared again so they propagate into the per-guest namespaces libvirt makes for
# QEMU (a volume hot-plugged after the guest started must be visible there). PRIVATE_MOUNT_NS tells the
# tests which namespace is the safe one, so they refuse to mount anywhere else.
exec unshare --mount --propagation private -- sh -c \
  'mount --make-rshared / && PRIVATE_MOUNT_NS="$(readlink /proc/self/ns/mnt)" && export PRIVATE_MOUNT_NS && exec "$@"' \
  mountns "$@"
