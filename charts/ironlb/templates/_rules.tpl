{{/*
The alerts, as the `groups:` of a Prometheus rules file. templates/prometheusrule.yaml wraps them
in a PrometheusRule; manifests/build.sh writes them to docs/prometheus/ironlb-rules.yaml (default
values) for Prometheus without the Operator. test/chart/rules.test.ts runs promtool on that file.
*/}}
{{- define "ironlb.rules" -}}
{{- $r := .Values.prometheusRule -}}
{{- $jobs := .Values.serviceMonitor.jobs -}}
groups:
  - name: ironlb
    rules:
      - alert: IronLBPoolAlmostExhausted
        expr: >-
          metallb_allocator_addresses_in_use_total
          / (metallb_allocator_addresses_total > 0) >= {{ $r.poolUsageThreshold }}
        for: 5m
        labels: { severity: warning }
        annotations:
          summary: "{{`IP address pool {{ $labels.pool }} is {{ $value | humanizePercentage }} used`}}"
          description: >-
            {{`New LoadBalancer Services will get no IP once pool {{ $labels.pool }} is full: add
            addresses to the IPAddressPool or free some.`}}
      - alert: IronLBServicesPending
        expr: ironlb_controller_services_pending > 0
        for: {{ $r.pendingFor }}
        labels: { severity: warning }
        annotations:
          summary: "{{`{{ $value }} LoadBalancer Service(s) waiting for an external IP`}}"
          description: >-
            The controller found no address for them (see each Service's ironlb.io/IPAllocated
            condition and AllocationFailed events: no matching pool, pool exhausted, sharing
            conflict or requested IP unavailable).
      - alert: IronLBAddressConflict
        expr: increase(ironlb_speaker_address_conflicts_total[10m]) > 0
        labels: { severity: critical }
        annotations:
          summary: "{{`Another host claims an IP the speaker on {{ $labels.instance }} announces or probes`}}"
          description: >-
            A foreign MAC answered for a Service IP (AddressConflict events name it). Clients may
            reach the wrong host: remove the address from that host or from the pool.
      - alert: IronLBSpeakerDown
        expr: up{job="{{ $jobs.speaker }}"} == 0
        for: {{ $r.downFor }}
        labels: { severity: warning }
        annotations:
          summary: "{{`IronLB speaker {{ $labels.instance }} is down`}}"
          description: >-
            Its node no longer answers ARP/NDP; the other speakers take its IPs over once its
            Lease expires, but the node is out of the election.
      - alert: IronLBControllerDown
        expr: absent(up{job="{{ $jobs.controller }}"} == 1)
        for: {{ $r.downFor }}
        labels: { severity: critical }
        annotations:
          summary: IronLB controller is down or not scraped
          description: >-
            No new LoadBalancer Service gets an IP and no pool change is applied until it is back
            (IPs already assigned keep working).
      - alert: IronLBControllerWriteErrors
        expr: rate(ironlb_controller_reconciles_total{outcome="retry"}[5m]) > 0
        for: 10m
        labels: { severity: warning }
        annotations:
          summary: IronLB controller keeps failing to write Service state
          description: >-
            Writes to the apiserver (Service status, annotation, events) fail and are retried; see
            the controller's log ("writing Service state failed").
      - alert: IronLBInvalidPools
        expr: ironlb_controller_invalid_pools > 0
        for: 5m
        labels: { severity: warning }
        annotations:
          summary: "{{`{{ $value }} IPAddressPool(s) ignored because their spec is invalid`}}"
          description: >-
            See the pools' Valid condition (kubectl get ipaddresspools -A -o yaml): bad CIDR or
            range, or overlap with another pool.
{{- end }}
