# Testing your own app with aiowebserver's TestClient: no server, no sockets,
# the same request code as on the board. This file tests examples/gpio_api.py.
#
# On CPython, with pytest:
#   PYTHONPATH=. python -m pytest examples/test_my_app.py
# On MicroPython (no pytest needed), from the repository root:
#   MICROPYPATH=.:.frozen .venv/bin/micropython examples/test_my_app.py
#
# Your app must not start the server when it is imported: end it with
#   if __name__ == "__main__":
#       web.run_forever()
import asyncio

from aiowebserver.testing import TestClient

import gpio_api  # importing the app registers its routes

client = TestClient()


def run(coro):
    return asyncio.run(coro)


def test_reading_a_pin():
    res = run(client.get("/api/pins/8"))
    assert res.status == 200
    assert res.json == {"pin": 8, "value": 0}


def test_writing_a_pin_then_reading_it_back():
    res = run(client.put("/api/pins/2", body={"value": 1}))
    assert res.json == {"pin": 2, "value": 1}
    assert run(client.get("/api/pins")).json["pins"]["2"] == 1


def test_toggling_a_pin():
    before = run(client.get("/api/pins/10")).json["value"]
    res = run(client.post("/api/pins/10/toggle"))
    assert res.json["value"] == 1 - before


def test_a_pin_that_is_not_in_the_list_is_404():
    res = run(client.get("/api/pins/9"))
    assert res.status == 404
    assert "no such pin" in res.json["error"]


def test_a_pin_number_that_is_not_a_number_is_404():
    assert run(client.get("/api/pins/led")).status == 404


def test_a_bad_value_is_400_with_a_reason():
    res = run(client.put("/api/pins/2", body={"value": 7}))
    assert (res.status, res.json) == (400, {"error": "value must be 0 or 1"})


def test_malformed_json_is_400():
    res = run(client.put("/api/pins/2", body="{not json", headers={"Content-Type": "application/json"}))
    assert res.status == 400


def test_delete_is_not_allowed_and_says_what_is():
    res = run(client.delete("/api/pins/2"))
    assert res.status == 405
    assert "PUT" in res.headers["allow"]


def test_the_page_is_html():
    res = run(client.get("/"))
    assert res.status == 200 and res.headers["content-type"].startswith("text/html")
    assert "<title>GPIO</title>" in res.text


if __name__ == "__main__":
    # MicroPython has no pytest: run every test_ function, report, exit 1 on a failure
    import sys

    failed = 0
    names = sorted(n for n in globals() if n.startswith("test_"))
    for name in names:
        try:
            globals()[name]()
            print("ok  ", name)
        except Exception as e:  # noqa: BLE001
            failed += 1
            print("FAIL", name, repr(e))
    print("%d passed, %d failed" % (len(names) - failed, failed))
    sys.exit(1 if failed else 0)
