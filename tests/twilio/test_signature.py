import string

from django.utils.datastructures import MultiValueDict
from hypothesis import given
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from conference_admin.twilio.signature import compute_signature, validate_signature

VECTOR_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
VECTOR_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675309",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
}
VECTOR_SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_contract_test_vector():
    assert compute_signature("12345", VECTOR_URL, VECTOR_PARAMS) == VECTOR_SIGNATURE
    assert validate_signature("12345", VECTOR_URL, VECTOR_PARAMS, VECTOR_SIGNATURE)


def test_wrong_token_or_missing_signature_is_rejected():
    assert not validate_signature("54321", VECTOR_URL, VECTOR_PARAMS, VECTOR_SIGNATURE)
    assert not validate_signature("12345", VECTOR_URL, VECTOR_PARAMS, None)
    assert not validate_signature("12345", VECTOR_URL, VECTOR_PARAMS, "")


def test_default_port_variants_are_accepted_both_ways():
    signed_without = compute_signature("tok", "https://example.com/hook", {"A": "1"})
    signed_with = compute_signature("tok", "https://example.com:443/hook", {"A": "1"})
    assert validate_signature("tok", "https://example.com:443/hook", {"A": "1"}, signed_without)
    assert validate_signature("tok", "https://example.com/hook", {"A": "1"}, signed_with)
    # A non-default port is part of the URL and must match exactly.
    assert not validate_signature("tok", "https://example.com:8443/hook", {"A": "1"}, signed_without)


def test_repeated_names_match_twilio_python():
    params = [("StatusCallbackEvent", "join"), ("StatusCallbackEvent", "leave"), ("A", "x")]
    ours = compute_signature("tok", "https://example.com/hook", params)
    multi = MultiValueDict({"StatusCallbackEvent": ["leave", "join"], "A": ["x"]})
    theirs = RequestValidator("tok").compute_signature("https://example.com/hook", multi)
    assert ours == theirs
    assert compute_signature("tok", "https://example.com/hook", multi) == theirs


names = st.text(alphabet=string.ascii_letters, min_size=1, max_size=12)
values = st.text(max_size=40)


@given(params=st.dictionaries(names, values, max_size=8), token=st.text(min_size=1, max_size=32))
def test_agrees_with_the_sdk_and_rejects_any_changed_byte(params, token):
    url = "https://dash.example.com/twilio/status?x=1"
    signature = compute_signature(token, url, params)
    assert signature == RequestValidator(token).compute_signature(url, params)
    assert validate_signature(token, url, params, signature)
    raw = bytearray(signature.encode())
    raw[0] = ord("A") if raw[0] != ord("A") else ord("B")
    assert not validate_signature(token, url, params, raw.decode())
    if params:
        changed = dict(params)
        key = sorted(changed)[0]
        changed[key] = changed[key] + "!"
        assert not validate_signature(token, url, changed, signature)
