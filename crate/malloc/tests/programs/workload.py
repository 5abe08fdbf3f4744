"""A Python workload for the malloc test: many dicts, lists and strings, built, transformed and
thrown away, then one line per phase with a digest of what it produced. Deterministic (run it
with PYTHONHASHSEED=0: set iteration order then does not change between runs).

    python3 workload.py
"""
import hashlib
import json


def rng(seed):
    """xorshift64: the same numbers on every run and every Python."""
    x = seed
    while True:
        x ^= (x << 13) & 0xFFFFFFFFFFFFFFFF
        x ^= x >> 7
        x ^= (x << 17) & 0xFFFFFFFFFFFFFFFF
        yield x


def digest(obj):
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:16]


def main():
    r = rng(0x9E3779B97F4A7C15)
    words = ["".join(chr(97 + next(r) % 26) for _ in range(1 + next(r) % 12)) for _ in range(20000)]

    # Dicts of lists, grown and shrunk.
    index = {}
    for i, w in enumerate(words * 5):
        index.setdefault(w, []).append(i)
    for w in list(index)[::3]:
        del index[w]
    print("index", len(index), digest(sorted(index.items())[:2000]))

    # Records: dicts with strings and nested lists, sorted, grouped, serialised and parsed.
    records = [
        {
            "id": i,
            "name": words[next(r) % len(words)].title(),
            "tags": words[i % 97 : i % 97 + next(r) % 6],
            "score": next(r) % 1000,
        }
        for i in range(60000)
    ]
    records.sort(key=lambda d: (d["score"], d["name"], d["id"]))
    groups = {}
    for d in records:
        groups.setdefault(d["score"] // 100, []).append(d["name"])
    text = json.dumps(records)
    back = json.loads(text)
    print("records", len(back), len(text), digest({k: v[:50] for k, v in groups.items()}))

    # Strings: joins, splits, replaces, formatting.
    blob = " ".join(words)
    for _ in range(5):
        blob = blob.replace("a", "ab").replace("zz", "z").upper().lower()
    parts = blob.split("b")
    lines = ["%05d:%s:%s" % (i, p[:20], p[::-1][:20]) for i, p in enumerate(parts)]
    lines_digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]
    print("strings", len(blob), len(parts), lines_digest)

    # Churn: a dict of lists whose members come and go.
    live = {}
    checksum = 0
    for step in range(300000):
        x = next(r)
        k = (x >> 8) % 5000
        if x & 1:
            live[k] = [k] * (x % 40)
        elif k in live:
            checksum += sum(live.pop(k))
    print("churn", len(live), checksum)


if __name__ == "__main__":
    main()
