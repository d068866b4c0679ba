"""story.py runs the Verify story of otpkit issue 12 with Twilio's official
Python SDK (Debian's python3-twilio), unchanged, against a running `otp serve`:

    TWILIO_ACCOUNT_SID=AC... TWILIO_AUTH_TOKEN=... python3 story.py http://127.0.0.1:PORT OUTBOX

OUTBOX is the server's outbox file, where the codes are read back. It prints
one line per step and exits 1 at the first surprise.
"""
import json
import re
import sys

from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client


def fail(msg):
    print("story.py: " + msg, file=sys.stderr)
    sys.exit(1)


def expect(cond, msg):
    if not cond:
        fail(msg)


def main():
    if len(sys.argv) != 3:
        print("usage: python3 story.py BASE_URL OUTBOX", file=sys.stderr)
        sys.exit(2)
    base_url, outbox = sys.argv[1], sys.argv[2]

    # The one-line switch: the client reads TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.
    client = Client()
    client.verify.base_url = base_url
    verify = client.verify.v2

    def last_code(number):
        with open(outbox, encoding="utf-8") as f:
            entries = [json.loads(line) for line in f if line.strip()]
        for e in reversed(entries):
            if e["to"] == number:
                return e["code"]
        fail("no message to %s in the outbox" % number)

    def other_code(c):
        return "".join(str((int(d) + 1) % 10) for d in c)

    def rest_code(call, **kwargs):
        try:
            call(**kwargs)
        except TwilioRestException as err:
            return err.code
        fail("the call succeeded, want an error")

    s = verify.services.create(friendly_name="Acme")
    expect(re.fullmatch(r"VA[0-9a-f]{32}", s.sid) and s.friendly_name == "Acme", "service: %s %s" % (s.sid, s.friendly_name))
    fs = verify.services(s.sid).fetch()
    expect(fs.sid == s.sid and fs.friendly_name == "Acme", "fetch service: %s" % fs.sid)
    print("service", s.sid)
    svc = verify.services(s.sid)

    first = "+12015550151"
    v = svc.verifications.create(to=first, channel="sms")
    expect(re.fullmatch(r"VE[0-9a-f]{32}", v.sid) and v.status == "pending" and v.to == first and v.channel == "sms",
           "verification: %s %s %s %s" % (v.sid, v.status, v.to, v.channel))
    print("sent", v.sid)
    right = last_code(first)
    c = svc.verification_checks.create(to=first, code=other_code(right))
    expect(c.status == "pending" and c.valid is False, "wrong check: %s %s" % (c.status, c.valid))
    print("wrong check: pending")
    c = svc.verification_checks.create(to=first, code=right)
    expect(c.status == "approved" and c.valid is True and c.sid == v.sid, "right check: %s %s" % (c.status, c.valid))
    print("right check: approved")
    code = rest_code(svc.verification_checks.create, to=first, code=right)
    expect(code == 20404, "second check: code %s, want 20404" % code)
    print("second check: 20404")

    second = "+12015550152"
    v2 = svc.verifications.create(to=second, channel="sms")
    wrong = other_code(last_code(second))
    for i in range(1, 5):
        c = svc.verification_checks.create(verification_sid=v2.sid, code=wrong)
        expect(c.status == "pending" and c.valid is False, "wrong check %d: %s" % (i, c.status))
    code = rest_code(svc.verification_checks.create, verification_sid=v2.sid, code=wrong)
    expect(code == 60202, "fifth wrong check: code %s, want 60202" % code)
    f = svc.verifications(v2.sid).fetch()
    expect(f.status == "max_attempts_reached", "after five wrong checks: %s" % f.status)
    print("five wrong checks: 60202, max_attempts_reached")

    third = "+12015550153"
    v3 = svc.verifications.create(to=third, channel="sms")
    code3 = last_code(third)
    cv = svc.verifications(v3.sid).update(status="canceled")
    expect(cv.status == "canceled" and cv.sid == v3.sid, "cancel: %s" % cv.status)
    f = svc.verifications(v3.sid).fetch()
    expect(f.status == "canceled" and f.valid is False and f.to == third, "fetch canceled: %s" % f.status)
    code = rest_code(svc.verification_checks.create, to=third, code=code3)
    expect(code == 20404, "check after cancel: code %s, want 20404" % code)
    print("canceled, fetched: canceled")
    print("story.py: ok")


if __name__ == "__main__":
    main()
