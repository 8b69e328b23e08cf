"""Tempest's results per module, from `stestr last --subunit` and the list of tests the run selected.

Runs under the Tempest virtualenv's Python (it reads subunit with python-subunit and testtools, which live
there):  stestr last --subunit | python tempest_results.py LISTED_TESTS_FILE  -> JSON on stdout.

A class whose set-up failed or skipped reports one `setUpClass (module.Class)` result and runs none of its
tests: each of its listed tests counts as failed or skipped, so the counts add up to the tests listed.
"""
import json
import re
import sys

import subunit
import testtools

STATUS = {"success": "passed", "xfail": "passed", "fail": "failed", "uxsuccess": "failed", "skip": "skipped"}
CLASS_FIXTURE = re.compile(r"^(?:setUpClass|tearDownClass) \((?P<cls>[\w.]+)\)$")


def bare(test_id: str) -> str:
    return test_id.split("[", 1)[0]


def main() -> int:
    listed = [line.strip() for line in open(sys.argv[1]) if line.strip().startswith("tempest.")]
    results, class_results, details = {}, {}, {}

    def on_test(test):
        status = STATUS.get(test["status"])
        if status is None:
            return
        text = "".join(v.as_text() for k, v in test["details"].items() if k in ("traceback", "reason"))
        m = CLASS_FIXTURE.match(test["id"])
        if m:
            # A failed tearDownClass does not undo passes; a failed or skipped setUpClass ran nothing.
            if test["id"].startswith("setUpClass"):
                class_results[m["cls"]] = status
            if status != "passed":
                details[test["id"]] = text
        else:
            results[bare(test["id"])] = status
            if status != "passed":
                details[test["id"]] = text

    stream = subunit.ByteStreamToStreamResult(sys.stdin.buffer, non_subunit_name="stdout")
    result = testtools.StreamToDict(on_test)
    result.startTestRun()
    stream.run(result)
    result.stopTestRun()

    per_module = {}
    for test_id in listed:
        name = bare(test_id)
        cls = name.rsplit(".", 1)[0]
        module = cls.rsplit(".", 1)[0]
        status = results.get(name) or class_results.get(cls) or "not run"
        counts = per_module.setdefault(module, {"passed": 0, "failed": 0, "skipped": 0, "not run": 0})
        counts[status] += 1
    json.dump({"modules": per_module, "details": details}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
