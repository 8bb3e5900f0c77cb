"""Independent re-statement of the reference validator's scoring (reference.md §1.1, §2.3, §3.1, §3.3)
with our deviations D1 and D2, written from the spec in numpy. Used only as a differential-test oracle:
reads a JSON list of {snapshot, config} on stdin, prints a JSON list of decisions on stdout."""
import json
import sys

import numpy as np


def calc_score_pog(gpu_specs, gpu_scores):
    try:
        max_gpu = max(gpu_scores, key=gpu_scores.get)
        max_score = gpu_scores[max_gpu] * 8
        score_factor = 100 / max_score
        gpu_name = gpu_specs.get("gpu_name")
        num_gpus = min(gpu_specs.get("num_gpus"), 8)
        score = gpu_scores.get(gpu_name) * num_gpus * score_factor
        return (score - 0) / (100 - 0)
    except Exception:
        return 0


def decide(snapshot, gpu_scores):
    allocated = set(snapshot.get("allocatedHotkeys", []))
    penalized = set(p if isinstance(p, str) else p.get("hotkey") for p in snapshot.get("penalizedHotkeys", []))
    pog = snapshot.get("pogSpecs", {})
    ext = {int(k): v for k, v in snapshot.get("statsAllocated", {}).items()}
    prev = snapshot.get("previousStats") or {}
    rows = sorted(snapshot["uids"], key=lambda r: r["uid"])
    stats, scores, deletions = {}, np.zeros(len(rows), dtype=np.float32), []
    for pos, row in enumerate(rows):
        uid, hk = row["uid"], row["hotkey"]
        if not row["queryable"]:
            stats[str(uid)] = {"hotkey": hk, "allocated": hk in allocated, "own_score": True, "score": 0,
                               "gpu_specs": None, "reliability_score": 0.0}
            deletions.append(hk)
            continue
        specs = pog.get(hk)
        if specs is not None and (specs.get("gpu_name") is None or specs.get("num_gpus") is None):
            specs = None
        if specs is not None:
            score = calc_score_pog(specs, gpu_scores)
            stat_score = score * 100
            own = True
        elif uid in ext and isinstance(ext[uid].get("gpu_specs"), dict):
            specs = ext[uid]["gpu_specs"]
            published = ext[uid].get("score", 0)
            bounded = min(max(published, 0), 100)
            score = bounded / 100  # D1
            stat_score = bounded
            own = False
        else:
            specs, score, stat_score, own = None, 0, 0, True
        if hk in penalized:
            score, stat_score = 0, 0
        rel = (prev.get(str(uid)) or {}).get("reliability_score")
        stats[str(uid)] = {"hotkey": hk, "allocated": hk in allocated, "own_score": own, "score": stat_score,
                           "gpu_specs": specs, "reliability_score": rel if isinstance(rel, (int, float)) else 0.0}
        scores[pos] = score
    uids = [r["uid"] for r in rows]
    if snapshot.get("mode", "scores") == "burn":
        uids, weights = [snapshot["burnUid"]], np.array([1.0], dtype=np.float32)
    else:
        clamped = np.where(scores < 0, np.float32(0), scores).astype(np.float32)
        norm = max(np.sum(np.abs(clamped)), np.float32(1e-12))
        weights = (clamped / np.float32(norm)).astype(np.float32)
    w = weights.tolist()
    out_u, out_w = [], []
    if sum(w) != 0:
        mx = float(max(w))
        for u, x in zip(uids, w):
            v = round(float(x) / mx * 65535)
            if v != 0:
                out_u.append(u)
                out_w.append(v)
    return {"stats": stats, "weights": {"uids": out_u, "weights": out_w}, "pogDeletions": deletions,
            "scores": [float(s) for s in scores]}


cases = json.load(sys.stdin)
print(json.dumps([decide(c["snapshot"], c["gpu_scores"]) for c in cases]))
