#!/usr/bin/python3
"""Kepler + kube-state-metrics fixture for `podpower labels`, and the answers it must give.

Writes <out>/kepler.om (OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`) and
<out>/expected.json. The expected joules and watts come from the generating parameters (constant
power per container over [begin, end]), not from podpower. Two disjoint windows:

  A (Kepler 0.7-era schema, kepler_container_joules_total): Deployments through ReplicaSets (one
    with kube_replicaset_owner, one without), a StatefulSet, a DaemonSet with a 5 MJ spike, a Job,
    two CronJob jobs, a container restart inside a pod, a Kepler restart (counter reset), a 15 min
    gap, pods without owner metrics, a bare pod, the system/kernel pseudo-containers, idle series.
  B (Kepler 0.10+ rewrite, kepler_pod_cpu_joules_total): zones package+dram, a Kepler restart,
    a finished CronJob pod exported once more as state="terminated", a pod without owner metrics.

Usage: labels_fixture.py OUTDIR [--days30]   (--days30: 30 days of 60 s samples, two pods)
"""
import json
import os
import sys

T0 = 1761840000          # 2025-10-30T16:00:00Z, a multiple of 60
SCRAPE = 15              # Kepler samples
KSM_SCRAPE = 30
LEAD = 600               # data start this long before each window (baseline for counters)
QA, QA_END = T0, T0 + 7200
QB, QB_END = T0 + 10800, T0 + 10800 + 7200
STEP = 60


def ts_grid(begin, end, every, origin):
    """Sample times t = origin + k*every with begin < t <= end."""
    k = (begin - origin) // every + 1
    out = []
    while origin + k * every <= end:
        out.append(origin + k * every)
        k += 1
    return out


def fmt_labels(labels):
    return ",".join('%s="%s"' % (k, v) for k, v in labels.items())


class Writer:
    def __init__(self):
        self.lines = {}

    def series(self, name, labels, samples):
        key = (name, fmt_labels(labels))
        self.lines.setdefault(key, []).extend(samples)  # one series may span both windows

    def text(self):
        out = []
        for (name, labels), samples in self.lines.items():
            last = None
            for t, v in samples:
                assert last is None or t > last, (name, labels)
                last = t
                out.append("%s{%s} %r %d" % (name, labels, float(v), t))
        out.append("# EOF")
        return "\n".join(out) + "\n"


def counter_samples(watts, begin, end, origin, resets=(), gaps=(), spikes=(), flat_after=0,
                    every=SCRAPE):
    """Cumulative joules of a constant-power container living in (begin, end].

    resets: Kepler restarts (the counter restarts from 0 right after the sample at that time).
    gaps: (a, b) intervals with no samples (energy keeps accruing). spikes: (t, joules) jumps
    that stay in the counter. flat_after: seconds the dead container keeps its last value.
    """
    out = []
    anchor = begin
    offset = 0.0
    pending_resets = sorted(resets)
    for t in ts_grid(begin, end + flat_after, every, origin):
        while pending_resets and t > pending_resets[0]:
            anchor = max(begin, pending_resets.pop(0))
            offset = 0.0
        if any(a < t <= b for a, b in gaps):
            continue
        for st, j in spikes:
            if t == st:
                offset += j
        live = min(t, end)
        out.append((t, watts * (live - anchor) + offset))
    return out


def expected_energy(watts, begin, end, q0, q1):
    return watts * max(0, min(end, q1) - max(begin, q0))


def ksm_pod(w, ns, pod, uid, kind, name, begin, end, origin):
    labels = {"namespace": ns, "pod": pod, "uid": uid, "owner_kind": kind, "owner_name": name,
              "owner_is_controller": "true" if kind else "", "job": "kube-state-metrics"}
    w.series("kube_pod_owner", labels,
             [(t, 1) for t in ts_grid(begin - KSM_SCRAPE, end + KSM_SCRAPE, KSM_SCRAPE, origin)])


def window_a(w, expected):
    o = QA - LEAD
    node1 = {"instance": "10.0.0.1:9102", "job": "kepler"}
    R = QA + 3600                      # Kepler restart on node1
    pods = []

    def old(ns, pod, containers, kind, name, source, ksm=None, extra=None):
        """containers: list of (container_name, container_id, watts, begin, end, kwargs)."""
        energy = 0.0
        active = 0
        for cname, cid, watts, b, e, kw in containers:
            labels = dict(node1, container_id=cid, pod_name=pod, container_name=cname,
                          container_namespace=ns, mode="dynamic")
            w.series("kepler_container_joules_total", labels,
                     counter_samples(watts, b, e, o, **kw))
            energy += expected_energy(watts, b, e, QA, QA_END)
        watts_total = sum(c[2] for c in containers if c[4] == max(x[4] for x in containers))
        pods.append({"namespace": ns, "pod": pod, "kind": kind, "name": name, "source": source,
                     "energy_j": energy, **(extra or {})})
        return watts_total

    # Deployment web (ReplicaSet with kube_replicaset_owner), two containers, Kepler restart.
    old("shop", "web-7d4b9c8f6-x2x4z",
        [("app", "c-web-app", 10.0, o, QA_END, {"resets": [R]}),
         ("proxy", "c-web-proxy", 2.5, o, QA_END, {"resets": [R]})],
        "Deployment", "web", "prom", extra={"watts": 12.5})
    w.series("kepler_container_joules_total",
             dict(node1, container_id="c-web-app", pod_name="web-7d4b9c8f6-x2x4z",
                  container_name="app", container_namespace="shop", mode="idle"),
             counter_samples(5.0, o, QA_END, o, resets=[R]))
    w.series("kepler_container_joules_total",
             dict(node1, container_id="c-web-proxy", pod_name="web-7d4b9c8f6-x2x4z",
                  container_name="proxy", container_namespace="shop", mode="idle"),
             counter_samples(5.0, o, QA_END, o, resets=[R]))
    pods[-1]["idle_energy_j"] = 10.0 * (QA_END - QA)
    ksm_pod(w, "shop", "web-7d4b9c8f6-x2x4z", "u-web", "ReplicaSet", "web-7d4b9c8f6", o, QA_END, o)
    w.series("kube_replicaset_owner",
             {"namespace": "shop", "replicaset": "web-7d4b9c8f6", "owner_kind": "Deployment",
              "owner_name": "web", "owner_is_controller": "true"},
             [(t, 1) for t in ts_grid(o - 30, QA_END, KSM_SCRAPE, o)])
    # StatefulSet db with a 15 min gap in Kepler's samples.
    old("data", "db-0", [("db", "c-db", 20.0, o, QA_END, {"gaps": [(QA + 2400, QA + 3300)]})],
        "StatefulSet", "db", "prom", extra={"watts": 20.0})
    ksm_pod(w, "data", "db-0", "u-db0", "StatefulSet", "db", o, QA_END, o)
    # DaemonSet with a 5 MJ spike: the step (QA+4140, QA+4200] is dropped.
    old("kube-system", "node-agent-x7k2p",
        [("agent", "c-agent", 3.0, o, QA_END, {"spikes": [(QA + 4200, 5e6)]})],
        "DaemonSet", "node-agent", "prom", extra={"watts": 3.0, "dropped_j": 3.0 * STEP})
    ksm_pod(w, "kube-system", "node-agent-x7k2p", "u-agent", "DaemonSet", "node-agent", o, QA_END,
            o)
    # Deployment api: container restart (new container id) at QA+3000.
    old("shop", "api-5f6d7c8b9-qwrtz",
        [("api", "c-api-1", 6.0, o, QA + 3000, {"flat_after": 300}),
         ("api", "c-api-2", 6.0, QA + 3000, QA_END, {})],
        "Deployment", "api", "prom", extra={"watts": 6.0})
    ksm_pod(w, "shop", "api-5f6d7c8b9-qwrtz", "u-api", "ReplicaSet", "api-5f6d7c8b9", o, QA_END, o)
    w.series("kube_replicaset_owner",
             {"namespace": "shop", "replicaset": "api-5f6d7c8b9", "owner_kind": "Deployment",
              "owner_name": "api", "owner_is_controller": "true"},
             [(t, 1) for t in ts_grid(o - 30, QA_END, KSM_SCRAPE, o)])
    # ReplicaSet whose owner series is missing: the original's rule strips the 9+ hex hash.
    old("shop", "legacy-59b9fc968b-64m99", [("legacy", "c-legacy", 1.5, o, QA_END, {})],
        "Deployment", "legacy", "prom", extra={"watts": 1.5})
    ksm_pod(w, "shop", "legacy-59b9fc968b-64m99", "u-legacy", "ReplicaSet", "legacy-59b9fc968b", o,
            QA_END, o)
    # Job migrate: short-lived, finished long before the window ends; Kepler keeps it flat 5 min.
    mb, me = QA + 1200, QA + 2100
    old("batch", "migrate-xk2p9", [("migrate", "c-migrate", 30.0, mb, me, {"flat_after": 300})],
        "Job", "migrate", "prom", extra={"watts": 30.0, "first": mb, "last": me})
    ksm_pod(w, "batch", "migrate-xk2p9", "u-migrate", "Job", "migrate", mb, me, o)
    w.series("kube_job_owner",
             {"namespace": "batch", "job_name": "migrate", "owner_kind": "", "owner_name": "",
              "owner_is_controller": ""},
             [(t, 1) for t in ts_grid(mb - 30, me, KSM_SCRAPE, o)])
    # CronJob report: two jobs named <cronjob>-<unix minutes>.
    for minutes, pod, b in [(29364010, "report-29364010-abcde", QA + 600),
                            (29364070, "report-29364070-fghjk", QA + 4200)]:
        e = b + 900
        job = "report-%d" % minutes
        old("batch", pod, [("report", "c-" + pod, 8.0, b, e, {"flat_after": 300})],
            "CronJob", "report", "prom", extra={"watts": 8.0, "first": b, "last": e})
        ksm_pod(w, "batch", pod, "u-" + pod, "Job", job, b, e, o)
        w.series("kube_job_owner",
                 {"namespace": "batch", "job_name": job, "owner_kind": "CronJob",
                  "owner_name": "report", "owner_is_controller": "true"},
                 [(t, 1) for t in ts_grid(b - 30, e, KSM_SCRAPE, o)])
    # No owner metrics at all: names decide.
    old("tools", "debug-shell", [("sh", "c-debug", 5.0, QA + 1800, QA + 5400, {})],
        "Pod", "debug-shell", "names", extra={"watts": 5.0})
    old("shop", "cache-6b7c8d9f5-zz2kl", [("cache", "c-cache", 2.0, o, QA_END, {})],
        "Deployment", "cache", "names", extra={"watts": 2.0})
    # A bare pod: kube-state-metrics says it has no owner.
    old("tools", "scratch", [("scratch", "c-scratch", 1.0, o, QA_END, {})], "Pod", "scratch",
        "prom", extra={"watts": 1.0})
    ksm_pod(w, "tools", "scratch", "u-scratch", "", "", o, QA_END, o)
    # Kepler's pseudo-containers: never pods.
    for name, ns, watts in [("system_processes", "system", 50.0), ("kernel_processes", "kernel", 20.0)]:
        w.series("kepler_container_joules_total",
                 dict(node1, container_id=name, pod_name=name, container_name=name,
                      container_namespace=ns, mode="dynamic"),
                 counter_samples(watts, o, QA_END, o))
    expected["A"] = {"start": QA, "end": QA_END, "step": STEP, "schema": "v0.7", "pods": pods,
                     "pseudo_series": 2, "spikes": 1}


def window_b(w, expected):
    o = QB - LEAD
    R = QB + 3600
    pods = []

    def new(ns, pod, uid, watts, b, e, kind, name, source, resets=(), terminated=False):
        base = {"node_name": "node-1", "pod_id": uid, "pod_name": pod, "pod_namespace": ns}
        for zone, scale in [("package", 1.0), ("dram", 0.3)]:
            samples = counter_samples(watts * scale, b, e, o, resets=resets)
            labels = dict(base, state="running", zone=zone, path="/sys/class/powercap/" + zone)
            if terminated:
                # Exported once more as terminated with the final counter, then cleared.
                last = samples.pop()
                w.series("kepler_pod_cpu_joules_total", dict(labels, state="terminated"), [last])
            w.series("kepler_pod_cpu_joules_total", labels, samples)
        w.series("kepler_container_cpu_joules_total",
                 {"node_name": "node-1", "pod_id": uid, "container_id": "k-" + uid,
                  "container_name": "main", "runtime": "containerd", "state": "running",
                  "zone": "package"},
                 counter_samples(watts, b, e, o, resets=resets))
        pods.append({"namespace": ns, "pod": pod, "kind": kind, "name": name, "source": source,
                     "energy_j": expected_energy(watts, b, e, QB, QB_END), "watts": watts})

    new("shop", "web-7d4b9c8f6-b8c9d", "u-web2", 15.0, o, QB_END, "Deployment", "web", "prom",
        resets=[R])
    ksm_pod(w, "shop", "web-7d4b9c8f6-b8c9d", "u-web2", "ReplicaSet", "web-7d4b9c8f6", o, QB_END, o)
    w.series("kube_replicaset_owner",
             {"namespace": "shop", "replicaset": "web-7d4b9c8f6", "owner_kind": "Deployment",
              "owner_name": "web", "owner_is_controller": "true"},
             [(t, 1) for t in ts_grid(o - 30, QB_END, KSM_SCRAPE, o)])
    b, e = QB + 1200, QB + 2400
    new("batch", "etl-29364200-k8s7p", "u-etl", 25.0, b, e, "CronJob", "etl", "prom",
        terminated=True)
    pods[-1].update({"first": b, "last": e})
    ksm_pod(w, "batch", "etl-29364200-k8s7p", "u-etl", "Job", "etl-29364200", b, e, o)
    w.series("kube_job_owner",
             {"namespace": "batch", "job_name": "etl-29364200", "owner_kind": "CronJob",
              "owner_name": "etl", "owner_is_controller": "true"},
             [(t, 1) for t in ts_grid(b - 30, e, KSM_SCRAPE, o)])
    new("data", "db-1", "u-db1", 10.0, o, QB_END, "StatefulSet", "db", "prom")
    ksm_pod(w, "data", "db-1", "u-db1", "StatefulSet", "db", o, QB_END, o)
    new("kube-system", "kindnet-abcde", "u-kn", 2.0, o, QB_END, "DaemonSet", "kindnet", "prom")
    ksm_pod(w, "kube-system", "kindnet-abcde", "u-kn", "DaemonSet", "kindnet", o, QB_END, o)
    new("tools", "probe-x", "u-probe", 4.0, QB + 600, QB + 4200, "Pod", "probe-x", "names")
    expected["B"] = {"start": QB, "end": QB_END, "step": STEP, "schema": "v0.10", "pods": pods,
                     "pseudo_series": 0, "spikes": 0}


def days30(w, expected):
    """Two pods over 30 days, sampled every 60 s only in three 2 h windows (start, middle, end):
    promtool writes one block per 2 h of data, so a continuous month would take minutes to
    backfill. Between windows the counters keep rising (Kepler kept counting), so the month's
    joules are still power x 30 days. Query at a 15 s step: 172,801 grid points."""
    start = T0 - 40 * 86400
    end = start + 30 * 86400
    o = start - LEAD
    windows = [(o + 60, start + 7200), (start + 15 * 86400, start + 15 * 86400 + 7200),
               (end - 7200, end)]
    pods = []
    for pod, watts in [("long-a", 7.0), ("long-b", 0.5)]:
        samples = [(t, watts * (t - o)) for a, b in windows for t in range(a, b + 1, 60)]
        w.series("kepler_container_joules_total",
                 {"container_id": "c-" + pod, "pod_name": pod, "container_name": "main",
                  "container_namespace": "long", "mode": "dynamic"}, samples)
        pods.append({"namespace": "long", "pod": pod, "kind": "Pod", "name": pod,
                     "source": "names", "energy_j": watts * (end - start), "watts": watts})
    expected["D30"] = {"start": start, "end": end, "step": 15, "schema": "v0.7", "pods": pods,
                       "sample_windows": windows, "lookback": 300}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    w = Writer()
    expected = {}
    if "--days30" in sys.argv:
        days30(w, expected)
    else:
        window_a(w, expected)
        window_b(w, expected)
    with open(os.path.join(out, "kepler.om"), "w") as f:
        f.write(w.text())
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)


if __name__ == "__main__":
    main()
