{{/* Labels of a component's objects: make sure they match the workloads' selectors. */}}
{{- define "ironlb.labels" -}}
{ app.kubernetes.io/name: ironlb, app.kubernetes.io/component: {{ . }} }
{{- end }}

{{- define "ironlb.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* Cluster-wide RBAC names carry the release name: "ironlb:controller" for release "ironlb". */}}
{{- define "ironlb.clusterName" -}}
{{ .root.Release.Name }}:{{ .component }}
{{- end }}

{{/* Optional container fields, rendered only when set (the defaults keep the binaries' own). */}}
{{- define "ironlb.pullPolicy" -}}
{{- with .Values.image.pullPolicy }}
          imagePullPolicy: {{ . }}
{{- end }}
{{- end }}

{{- define "ironlb.scheduling" -}}
{{- with .nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
{{- end }}
{{- with .tolerations }}
      tolerations:
        {{- range . }}
        - {{ toJson . }}
        {{- end }}
{{- end }}
{{- end }}
