"""The Python suite of tests/integration/test_focus.py, run by
`python3 -m pytest`: one test fetches a page from the test's nginx
($FETCH_URL) and writes it to $TMPDIR/py-fetch.html; the others compute."""
import os
import urllib.request


def test_fetch():
    with urllib.request.urlopen(os.environ["FETCH_URL"], timeout=10) as r:
        assert r.status == 200
        body = r.read()
    with open(os.path.join(os.environ["TMPDIR"], "py-fetch.html"), "wb") as f:
        f.write(body)


def test_sum():
    assert sum(range(10)) == 45


def test_join():
    assert "-".join(["a", "b"]) == "a-b"
