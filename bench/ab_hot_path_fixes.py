"""Before/after, side by side in one process, for the hot-path fixes in conference_admin/live and
conference_admin/twilio: the refresh's meta+lease read (2 Redis round trips -> 1) and the
resources' pickling (per-field __setstate__ -> generated __init__). Prints medians."""

from __future__ import annotations

import pickle
import statistics
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (bench/ is put on sys.path above)


def main() -> None:
    common.setup_django()
    from django.core.cache import cache

    from conference_admin.live import roster as rosters
    from conference_admin.twilio import resources
    from conference_admin.twilio.resources import Participant

    def refresh_before(conference_sid):  # the code before the change, verbatim in effect
        meta = rosters.read_meta(conference_sid)
        if meta is not None and meta.ended:
            return meta
        if not cache.add(rosters.key(conference_sid, "lease"), 1, timeout=meta.interval if meta else 5):
            return meta
        raise AssertionError("lease expected to be held")

    def refresh_after(conference_sid):
        return rosters.refresh(conference_sid, lambda: (_ for _ in ()).throw(AssertionError("no fetch expected")))

    common.clear_cache()
    sid = "CF" + "ab" * 16
    rosters.mutate(sid, lambda roster, version: True)
    cache.set(rosters.key(sid, "lease"), 1, timeout=300)
    results = {"refresh, lease held: before": [], "refresh, lease held: after": []}
    for _ in range(9):
        results["refresh, lease held: before"].append(timeit.timeit(lambda: refresh_before(sid), number=300) / 300)
        results["refresh, lease held: after"].append(timeit.timeit(lambda: refresh_after(sid), number=300) / 300)

    payload = {
        "call_sid": "CA" + "1" * 32,
        "conference_sid": sid,
        "account_sid": common.ACCOUNT_SID,
        "label": "customer:1",
        "status": "connected",
        "muted": False,
        "hold": False,
        "coaching": False,
        "end_conference_on_exit": False,
        "start_conference_on_enter": True,
        "date_created": "Fri, 18 Feb 2011 21:07:19 +0000",
        "date_updated": "Fri, 18 Feb 2011 21:07:19 +0000",
        "uri": "/x.json",
    }
    roster = rosters.Roster(sid)
    for index in range(250):
        participant = Participant.from_api({**payload, "call_sid": f"CA{index:032d}"})
        roster.entries[participant.call_sid] = rosters.RosterEntry(participant, 1)
    reduce = resources._FromApi.__reduce__
    for label in ("pickle 250-entry roster", "unpickle 250-entry roster"):
        results[f"{label}: before"], results[f"{label}: after"] = [], []
    for _ in range(9):
        for variant in ("before", "after"):
            if variant == "before":
                del resources._FromApi.__reduce__
            else:
                resources._FromApi.__reduce__ = reduce
            data = pickle.dumps(roster, pickle.HIGHEST_PROTOCOL)
            results[f"pickle 250-entry roster: {variant}"].append(
                timeit.timeit(lambda: pickle.dumps(roster, pickle.HIGHEST_PROTOCOL), number=20) / 20
            )
            results[f"unpickle 250-entry roster: {variant}"].append(
                timeit.timeit(lambda data=data: pickle.loads(data), number=20) / 20
            )
    resources._FromApi.__reduce__ = reduce
    for name, samples in results.items():
        print(f"{name:40s} median {statistics.median(samples) * 1e6:8.1f} us")


if __name__ == "__main__":
    main()
