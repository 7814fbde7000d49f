#!/usr/bin/python3
"""Benchmark fixture for `podpower labels`: N pods x H hours of Kepler 0.7 counters at 15 s
samples, plus kube-state-metrics owners (one sample per 5 min), as OpenMetrics text for
`promtool tsdb create-blocks-from openmetrics`.

Usage: labels_bench_fixture.py OUT.om [PODS=2000] [HOURS=24]
Prints "start end" (unix seconds) of the generated range on stdout.
"""
import sys

T0 = 1761840000  # 2025-10-30T16:00:00Z


def main():
    out = sys.argv[1]
    pods = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    hours = float(sys.argv[3]) if len(sys.argv) > 3 else 24
    start, end = T0, T0 + int(hours * 3600)
    times = list(range(start - 300, end + 1, 15))
    with open(out, "w", buffering=1 << 22) as f:
        for i in range(pods):
            ns = "ns%02d" % ((i // 10) % 20)
            deploy = "app%04d" % (i // 10)
            pod = "%s-7d4b9c8f6-%05d" % (deploy, i)
            watts = 1.0 + (i % 37) * 0.5
            head = ('kepler_container_joules_total{container_namespace="%s",pod_name="%s",'
                    'container_name="main",container_id="c%05d",mode="dynamic"} ' % (ns, pod, i))
            f.write("".join("%s%.1f %d\n" % (head, watts * (t - times[0] + 15), t) for t in times))
            owner = ('kube_pod_owner{namespace="%s",pod="%s",uid="u%05d",owner_kind="ReplicaSet",'
                     'owner_name="%s-7d4b9c8f6",owner_is_controller="true"} 1 ' % (ns, pod, i, deploy))
            f.write("".join("%s%d\n" % (owner, t) for t in range(start - 300, end + 1, 300)))
        for d in range((pods + 9) // 10):
            rs = ('kube_replicaset_owner{namespace="ns%02d",replicaset="app%04d-7d4b9c8f6",'
                  'owner_kind="Deployment",owner_name="app%04d",owner_is_controller="true"} 1 '
                  % ((d * 10) % 20, d, d))
            f.write("".join("%s%d\n" % (rs, t) for t in range(start - 300, end + 1, 300)))
        f.write("# EOF\n")
    print(start, end)


if __name__ == "__main__":
    main()
