"""The Glance v2 subset against a live stack: list and show shapes, visibility between projects,
create, upload and download of data, kernel/ramdisk references, delete, and what Nova says about
booting a queued image."""
import hashlib
import os
import uuid

import pytest
import requests

from .faults import assert_fault


IMAGES = "/image/v2/images"
IMAGE_KEYS = {"id", "name", "status", "visibility", "protected", "checksum", "container_format", "disk_format",
              "size", "virtual_size", "min_disk", "min_ram", "owner", "os_hidden", "tags", "created_at",
              "updated_at", "self", "file", "schema"}


STACK = {"hosts": ["node1"], "users": {"alice": "alpha", "bob": "beta"}, "env": {"IMAGE_SIZE_CAP": 4 << 20}}


@pytest.fixture(scope="module")
def alice(api):
    return api.token("alice", "alice-pw", "alpha")


@pytest.fixture(scope="module")
def bob(api):
    return api.token("bob", "bob-pw", "beta")


def listed_ids(api, token=None, **params) -> list[str]:
    r = api.get(IMAGES, token=token, params=params)
    assert r.status_code == 200, r.text
    return [i["id"] for i in r.json()["images"]]


def create(api, token=None, **fields) -> dict:
    r = api.post(IMAGES, token=token, json=fields)
    assert r.status_code == 201, r.text
    return r.json()


def assert_image_shape(image: dict):
    assert set(image) >= IMAGE_KEYS, IMAGE_KEYS - set(image)
    uuid.UUID(image["id"])
    assert image["self"] == f"/v2/images/{image['id']}"
    assert image["file"] == f"/v2/images/{image['id']}/file"
    assert image["schema"] == "/v2/schemas/image"
    assert image["created_at"].endswith("Z") and image["updated_at"].endswith("Z")


def test_list_and_show_shapes(api, alice):
    r = api.get(IMAGES, token=alice)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["first"] == "/v2/images" and body["schema"] == "/v2/schemas/images"
    (cirros,) = [i for i in body["images"] if i["name"] == "cirros-0.6.2-x86_64-disk"]
    assert_image_shape(cirros)
    assert (cirros["status"], cirros["visibility"], cirros["disk_format"], cirros["container_format"]) == (
        "active", "public", "qcow2", "bare")

    shown = api.get(f"{IMAGES}/{cirros['id']}", token=alice)
    assert shown.status_code == 200 and shown.json() == cirros
    assert_fault(api.get(f"{IMAGES}/{uuid.uuid4()}", token=alice), 404, "could not be found")
    assert_fault(api.get(f"{IMAGES}/not-a-uuid", token=alice), 404)

    assert requests.get(api.url("/image/v2/"), timeout=30).json()["versions"][0]["status"] == "CURRENT"


def test_list_filters_and_pagination(api):
    made = [create(api, name=f"page-img-{i}", disk_format="raw")["id"] for i in range(3)]
    assert set(listed_ids(api, disk_format="raw")) >= set(made)
    assert listed_ids(api, name="page-img-1") == [made[1]]
    assert set(listed_ids(api, status="queued")) >= set(made)

    first = api.get(IMAGES, params={"limit": 2}).json()
    assert [i["id"] for i in first["images"]] == list(reversed(made))[:2]  # newest first
    assert first["next"] == f"/v2/images?marker={made[1]}&limit=2"
    rest = api.get(IMAGES, params={"limit": 2, "marker": made[1]}).json()["images"]
    assert rest[0]["id"] == made[0]

    empty = api.get(IMAGES, params={"limit": 0})
    assert empty.status_code == 200 and empty.json()["images"] == [] and "next" not in empty.json()
    assert_fault(api.get(IMAGES, params={"limit": "many"}), 400, "limit")
    assert_fault(api.get(IMAGES, params={"limit": "-1"}), 400, "limit")
    assert_fault(api.get(IMAGES, params={"marker": str(uuid.uuid4())}), 400, "marker")


def test_private_images_stay_in_their_project(api, alice, bob):
    private = create(api, alice, name="alice-private", visibility="private")
    default = create(api, alice, name="alice-default")  # Glance's default visibility is "shared", not public
    assert private["visibility"] == "private" and default["visibility"] == "shared"
    alpha = requests.get(api.url("/identity/v3/auth/tokens"), timeout=30,
                         headers={"X-Auth-Token": alice, "X-Subject-Token": alice}).json()["token"]["project"]["id"]
    assert private["owner"] == alpha and private["status"] == "queued"

    for image in (private, default):
        assert_fault(api.get(f"{IMAGES}/{image['id']}", token=bob), 404)
        assert_fault(api.delete(f"{IMAGES}/{image['id']}", token=bob), 404)
        assert image["id"] not in listed_ids(api, bob)
        assert image["id"] in listed_ids(api, alice)
        assert api.get(f"{IMAGES}/{image['id']}", token=alice).status_code == 200
        assert api.get(f"{IMAGES}/{image['id']}").status_code == 200  # an admin sees every project's images
    assert_fault(api.get(IMAGES, token=bob, params={"marker": private["id"]}), 400, "marker")

    # An image registered privately by the operator (no owner) is not shown to members either.
    hidden = api.manage("image_create", "operator-only", "--private").strip()
    assert_fault(api.get(f"{IMAGES}/{hidden}", token=alice), 404)
    assert hidden not in listed_ids(api, alice)
    assert api.get(f"{IMAGES}/{hidden}").json()["visibility"] == "private"

    # Only an admin may publish, and a member may not delete what it does not own.
    assert_fault(api.post(IMAGES, token=alice, json={"name": "mine", "visibility": "public"}), 403)
    cirros = [i for i in api.get(IMAGES, token=bob).json()["images"] if i["owner"] is None][0]["id"]
    assert_fault(api.delete(f"{IMAGES}/{cirros}", token=bob), 403)

    r = api.delete(f"{IMAGES}/{private['id']}", token=alice)
    assert r.status_code == 204, r.text
    assert_fault(api.get(f"{IMAGES}/{private['id']}", token=alice), 404)


def test_admin_creates_a_queued_image_that_cannot_boot_then_deletes_it(api):
    r = api.post(IMAGES, json={"name": "queued-img", "disk_format": "raw", "container_format": "bare",
                               "min_ram": 64, "visibility": "public", "os_distro": "cirros"})
    assert r.status_code == 201, r.text
    image = r.json()
    assert_image_shape(image)
    assert r.headers["Location"] == api.url(f"{IMAGES}/{image['id']}")
    assert (image["name"], image["status"], image["visibility"], image["disk_format"], image["min_ram"],
            image["size"], image["os_distro"]) == ("queued-img", "queued", "public", "raw", 64, None, "cirros")
    assert image["id"] in listed_ids(api)

    boot = api.post("/compute/v2.1/servers", json={"server": {"name": "from-queued", "imageRef": image["id"],
                                                             "flavorRef": "1"}})
    assert boot.status_code == 400, boot.text
    assert boot.json()["badRequest"]["message"] == f"Image {image['id']} is not active."

    r = api.delete(f"{IMAGES}/{image['id']}")
    assert r.status_code == 204 and r.content == b""
    assert_fault(api.get(f"{IMAGES}/{image['id']}"), 404)
    assert image["id"] not in listed_ids(api)
    assert_fault(api.delete(f"{IMAGES}/{image['id']}"), 404)
    boot = api.post("/compute/v2.1/servers", json={"server": {"name": "from-deleted", "imageRef": image["id"],
                                                             "flavorRef": "1"}})
    assert_fault(boot, 400, "could not be found")


def test_a_protected_image_cannot_be_deleted(api):
    image = create(api, name="keep-me", protected=True)
    assert image["protected"] is True
    assert_fault(api.delete(f"{IMAGES}/{image['id']}"), 403, "protected")
    assert api.get(f"{IMAGES}/{image['id']}").status_code == 200


@pytest.mark.parametrize("body,expect", [
    pytest.param({"name": "x", "disk_format": "floppy"}, "disk_format", id="bad-disk-format"),
    pytest.param({"name": "x", "visibility": "everyone"}, "visibility", id="bad-visibility"),
    pytest.param({"name": "x", "min_ram": -1}, "min_ram", id="negative-min-ram"),
    pytest.param({"name": "x", "min_disk": 2**40}, "min_disk", id="huge-min-disk"),
    pytest.param({"name": "x", "status": "active"}, "read-only", id="read-only-status"),
    pytest.param({"name": "x", "size": 1}, "read-only", id="read-only-size"),
    pytest.param({"name": "x", "hw_disk_bus": 1}, "must be a string", id="non-string-property"),
    pytest.param({"name": "x", "_secret": "y"}, "start with '_'", id="underscore-property"),
    pytest.param(["x"], "JSON object", id="list-body"),
])
def test_invalid_image_creates_are_400(api, body, expect):
    before = len(listed_ids(api))
    assert_fault(api.post(IMAGES, json=body), 400, expect)
    assert len(listed_ids(api)) == before


def test_an_active_image_boots(api):
    cirros = [i["id"] for i in api.get(IMAGES).json()["images"] if i["status"] == "active"][0]
    r = api.post("/compute/v2.1/servers", json={"server": {"name": "ok", "imageRef": cirros, "flavorRef": "1"}})
    assert r.status_code == 202, r.text
    server = api.wait_status(r.json()["server"]["id"], "ACTIVE")
    assert server["image"]["id"] == cirros


# ---- data ------------------------------------------------------------------------------------------

OCTET = {"Content-Type": "application/octet-stream"}


def upload(api, image_id, data, token=None, headers=OCTET):
    token = token or api.token()
    return requests.put(api.url(f"{IMAGES}/{image_id}/file"), data=data, timeout=60,
                        headers={"X-Auth-Token": token, **headers})


def test_upload_then_download_and_delete_removes_the_data(api, alice):
    data = os.urandom(3 * (1 << 20) + 17)  # more than one read chunk
    image = create(api, alice, name="uploaded", disk_format="raw", container_format="bare")
    assert (image["status"], image["size"], image["checksum"], image["os_hash_value"]) == (
        "queued", None, None, None)
    assert api.get(f"{IMAGES}/{image['id']}/file", token=alice).status_code == 204  # no data yet

    r = upload(api, image["id"], data, alice)
    assert r.status_code == 204 and r.content == b"", r.text
    shown = api.get(f"{IMAGES}/{image['id']}", token=alice).json()
    assert (shown["status"], shown["size"], shown["checksum"], shown["os_hash_algo"], shown["os_hash_value"]) == (
        "active", len(data), hashlib.md5(data).hexdigest(), "sha512", hashlib.sha512(data).hexdigest())
    assert not [k for k in shown if k.startswith("_")]  # the data path stays hidden
    stored = api.workdir / "images" / image["id"]
    assert stored.read_bytes() == data and oct(stored.stat().st_mode & 0o777) == "0o644"
    assert not [p for p in stored.parent.iterdir() if p.name.startswith(".")]  # no temporary left

    r = api.get(f"{IMAGES}/{image['id']}/file", token=alice)
    assert r.status_code == 200 and r.content == data
    assert r.headers["Content-Type"] == "application/octet-stream"
    assert r.headers["Content-MD5"] == hashlib.md5(data).hexdigest()

    # Data goes in once: a second upload of an active image is a conflict.
    assert_fault(upload(api, image["id"], b"again", alice), 409, "active")

    # The image boots now.
    boot = api.post("/compute/v2.1/servers", token=alice,
                    json={"server": {"name": "from-upload", "imageRef": image["id"], "flavorRef": "1"}})
    assert boot.status_code == 202, boot.text
    api.wait_status(boot.json()["server"]["id"], "ACTIVE")

    assert api.delete(f"{IMAGES}/{image['id']}", token=alice).status_code == 204
    assert not stored.exists()


def test_chunked_upload_is_accepted(api):
    image = create(api, name="chunked")
    r = upload(api, image["id"], iter([b"abc", b"def" * 1000]))  # a generator: Transfer-Encoding: chunked
    assert r.status_code == 204, r.text
    shown = api.get(f"{IMAGES}/{image['id']}").json()
    assert shown["size"] == 3003 and shown["checksum"] == hashlib.md5(b"abc" + b"def" * 1000).hexdigest()


def test_bad_uploads_leave_the_image_queued(api, alice, bob):
    image = create(api, alice, name="bad-uploads", visibility="private")
    assert_fault(upload(api, image["id"], b"x", alice, headers={"Content-Type": "application/json"}), 415)
    assert_fault(upload(api, image["id"], os.urandom((4 << 20) + 1), alice), 413, "exceeds")
    assert_fault(upload(api, image["id"], b"x", bob), 404)  # another project's private image
    assert_fault(upload(api, str(uuid.uuid4()), b"x", alice), 404)
    shown = api.get(f"{IMAGES}/{image['id']}", token=alice).json()
    assert shown["status"] == "queued" and shown["size"] is None
    assert not list((api.workdir / "images").glob(f"*{image['id']}*"))
    assert upload(api, image["id"], b"fine", alice).status_code == 204  # and a good one still works

    # A member may not write data into a public image it does not own.
    cirros = [i for i in api.get(IMAGES, token=bob).json()["images"] if i["owner"] is None][0]["id"]
    assert_fault(upload(api, cirros, b"x", bob), 403)


def test_kernel_and_ramdisk_references_must_name_images(api):
    kernel = create(api, name="vmlinuz", disk_format="aki", container_format="aki")
    ramdisk = create(api, name="initrd", disk_format="ari", container_format="ari")
    for image in (kernel, ramdisk):
        assert upload(api, image["id"], b"boot-bits").status_code == 204
    machine = create(api, name="machine", disk_format="ami", container_format="ami",
                     kernel_id=kernel["id"], ramdisk_id=ramdisk["id"])
    assert (machine["kernel_id"], machine["ramdisk_id"]) == (kernel["id"], ramdisk["id"])
    assert api.get(IMAGES, params={"name": "machine"}).json()["images"][0]["kernel_id"] == kernel["id"]
    assert_fault(api.post(IMAGES, json={"name": "x", "kernel_id": str(uuid.uuid4())}), 400, "kernel_id")
    assert_fault(api.post(IMAGES, json={"name": "x", "ramdisk_id": "initrd"}), 400, "ramdisk_id")


def test_tags_and_hidden_images(api):
    tagged = create(api, name="tagged", tags=["b", "a", "a"])
    assert tagged["tags"] == ["a", "b"] and tagged["os_hidden"] is False
    hidden = create(api, name="hidden", os_hidden=True)
    assert hidden["os_hidden"] is True
    assert hidden["id"] not in listed_ids(api)
    assert listed_ids(api, os_hidden="true") == [hidden["id"]]
    assert_fault(api.post(IMAGES, json={"name": "x", "tags": "a"}), 400, "tags")


# --- the compute API's image proxy (/compute/v2.1/images, below 2.36) ------------------------------------

PROXY = "/compute/v2.1/images"


def test_compute_image_proxy(api, alice, bob):
    image = create(api, alice, name="proxied", disk_format="raw", container_format="bare", min_ram=4099,
                   visibility="private", owner_note="x")
    iid = image["id"]
    listed = api.get(PROXY, token=alice).json()["images"]
    mine = [i for i in listed if i["id"] == iid]
    assert mine and set(mine[0]) == {"id", "name", "links"}
    assert [link["rel"] for link in mine[0]["links"]] == ["self", "bookmark", "alternate"]
    assert iid not in [i["id"] for i in api.get(PROXY, token=bob).json()["images"]]  # private to alpha
    r = api.get(f"{PROXY}/detail", token=alice, params={"name": "proxied"})
    (detail,) = r.json()["images"]
    assert set(detail) == {"id", "name", "links", "minRam", "minDisk", "metadata", "created", "updated", "status",
                           "progress", "OS-EXT-IMG-SIZE:size"}
    assert (detail["status"], detail["progress"], detail["minRam"], detail["metadata"]) == (
        "SAVING", 25, 4099, {"owner_note": "x"})
    assert api.get(f"{PROXY}/{iid}", token=alice).json()["image"] == detail
    big = api.get(f"{PROXY}/detail", token=alice, params={"minRam": 4099}).json()["images"]
    assert iid in [i["id"] for i in big] and all(i["minRam"] >= 4099 for i in big)
    assert_fault(api.get(PROXY, token=alice, params={"minRam": "lots"}), 400)
    page = api.get(PROXY, token=alice, params={"limit": 1}).json()
    assert len(page["images"]) == 1 and page["images_links"][0]["rel"] == "next"
    assert_fault(api.get(f"{PROXY}/{iid}", token=bob), 404)
    assert_fault(api.get(f"{PROXY}/not-a-uuid", token=alice), 404)
    # Removed at 2.36 (as soon as this API serves it).
    newer = {"OpenStack-API-Version": "compute 2.36"}
    r = api.get(PROXY, token=alice, headers=newer)
    assert r.status_code in (404, 406), r.text

    # Metadata: list, merge, one item, replace, delete; owners only.
    meta = f"{PROXY}/{iid}/metadata"
    assert api.get(meta, token=alice).json() == {"metadata": {"owner_note": "x"}}
    r = api.post(meta, token=alice, json={"metadata": {"os_distro": "cirros"}})
    assert r.status_code == 200 and r.json() == {"metadata": {"owner_note": "x", "os_distro": "cirros"}}
    r = api.request("PUT", f"{meta}/os_distro", token=alice, json={"meta": {"os_distro": "debian"}})
    assert r.status_code == 200 and r.json() == {"meta": {"os_distro": "debian"}}
    assert api.get(f"{meta}/os_distro", token=alice).json() == {"meta": {"os_distro": "debian"}}
    assert_fault(api.request("PUT", f"{meta}/os_distro", token=alice, json={"meta": {"other": "v"}}), 400)
    r = api.request("PUT", meta, token=alice, json={"metadata": {"only": "this"}})
    assert r.status_code == 200 and r.json() == {"metadata": {"only": "this"}}
    assert api.get(f"{IMAGES}/{iid}", token=alice).json()["only"] == "this"  # the image service's own view
    assert api.delete(f"{meta}/only", token=alice).status_code == 204
    assert_fault(api.delete(f"{meta}/only", token=alice), 404)
    assert_fault(api.get(f"{meta}/only", token=alice), 404)
    assert_fault(api.post(meta, token=alice, json={"metadata": {"k": 1}}), 400)
    public = [i for i in api.get(PROXY, token=bob).json()["images"] if i["name"] == "cirros-0.6.2-x86_64-disk"][0]
    assert_fault(api.post(f"{PROXY}/{public['id']}/metadata", token=bob, json={"metadata": {"k": "v"}}), 403)
    too_many = {f"k{n}": "v" for n in range(129)}  # metadata_items: 128
    assert_fault(api.request("PUT", meta, token=alice, json={"metadata": too_many}), 403)

    assert_fault(api.delete(f"{PROXY}/{iid}", token=bob), 404)
    assert api.delete(f"{PROXY}/{iid}", token=alice).status_code == 204
    assert_fault(api.get(f"{PROXY}/{iid}", token=alice), 404)
