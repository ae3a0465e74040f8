import json

from tollgate.kit.responses import JSONBody


def test_same_bytes_as_the_standard_encoder():
    content = {"b": 1, "a": [1.5, None, True], "name": "Zoë", "nested": {"z": "", "y": 10**18}}
    assert JSONBody(content).body == json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()


def test_integers_beyond_64_bits_still_encode():
    assert json.loads(JSONBody({"page": 10**30}).body) == {"page": 10**30}
