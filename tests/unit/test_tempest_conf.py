"""`make tempest`'s generated files: the accounts Tempest needs and a tempest.conf that carries FEATURES."""
import configparser
from collections import defaultdict
from pathlib import Path

from devtools.tempest_conf import FEATURES, accounts, accounts_yaml, tempest_conf


def test_accounts_give_two_admins_and_a_member_and_reader_per_project():
    accts = accounts("pw")
    listed = [a for a in accts if a.get("listed", True)]
    assert len([a for a in listed if a.get("types") == ["admin"]]) >= 2  # --concurrency 2
    roles = defaultdict(set)
    for a in listed:
        if "roles" in a and "types" not in a:
            roles[a["project_name"]].update(a["roles"])
    assert len(roles) >= 2 and all({"member", "reader"} <= r for r in roles.values()), roles
    text = accounts_yaml(accts)
    assert text.count("- username: ") == len(listed) and "roles: ['reader']" in text
    assert "tempest-identity-admin" not in text  # tempest.conf's [auth] admin, for dynamic credentials


def test_alt_accounts_come_first_alone_in_their_projects_without_roles():
    """Tempest's `alt` is the first free account that is not an admin, in the file's order."""
    listed = [a for a in accounts("pw") if a.get("listed", True) and "admin" not in a.get("roles", [])]
    alts = [a for a in listed if "roles" not in a]
    assert len(alts) >= 2 and listed[:len(alts)] == alts
    others = {a["project_name"] for a in listed if "roles" in a}
    assert all(a["role"] == "member" and a["project_name"] not in others for a in alts)
    assert len({a["project_name"] for a in alts}) == len(alts)


def test_tempest_conf_carries_every_feature_flag(tmp_path: Path):
    conf = configparser.ConfigParser()
    conf.read_string(tempest_conf(api_url="http://127.0.0.1:1", workspace=tmp_path, image_id="img",
                                  image_id_alt="img2", compute_max="2.2", volume_max="3.0", hosts=3,
                                  password="pw", network_extensions=["security-group", "quotas"]))
    for section, flags in FEATURES.items():
        for flag, value in flags.items():
            assert conf.getboolean(section, flag) is value, (section, flag)
    assert conf.getboolean("service_available", "cinder") and conf.getboolean("service_available", "neutron")
    assert conf["compute"]["max_microversion"] == "2.2" and conf["compute"]["min_compute_nodes"] == "3"
    assert conf["compute"]["image_ref_alt"] == "img2"  # distinct images: the filter-by-image tests run
    assert conf["identity"]["uri_v3"] == "http://127.0.0.1:1/identity/v3"
    assert not conf.getboolean("auth", "use_dynamic_credentials")
    assert (conf["auth"]["admin_username"], conf["auth"]["admin_password"]) == ("tempest-identity-admin", "pw")
    assert conf["network-feature-enabled"]["api_extensions"] == "security-group, quotas"
