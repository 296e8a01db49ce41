{{/* Names, labels and the RBAC rules shared by the cluster-wide and namespaced modes. */}}

{{- define "ncc-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "ncc-operator.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "ncc-operator.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "ncc-operator.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "ncc-operator.serviceAccountName" -}}
{{- default (include "ncc-operator.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "ncc-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ncc-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "ncc-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 }}
{{ include "ncc-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "ncc-operator.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/*
What the operator needs where its objects live (proven by tests/install: the operator passes its
story with only these, and `kubectl auth can-i` shows nothing more):
- its four kinds: list/watch (Kopf watches and indexes), patch (finalizer, bookkeeping
  annotations) and patch of /status (conditions); never create/update/delete: users own them;
- Secrets: get by name only (the account's credentials); never list/watch (that would hold
  every Secret of the namespace in memory) and never write;
- Events: create (the engine's event vocabulary).
*/}}
{{- define "ncc-operator.namespacedRules" -}}
- apiGroups: [networking.ncc-operator.io]
  resources: [databricksaccounts, networkconnectivityconfigs, privateendpointrules, networkpolicies]
  verbs: [list, watch, patch]
- apiGroups: [networking.ncc-operator.io]
  resources: [databricksaccounts/status, networkconnectivityconfigs/status, privateendpointrules/status, networkpolicies/status]
  verbs: [patch]
- apiGroups: [""]
  resources: [secrets]
  verbs: [get]
- apiGroups: [""]
  resources: [events]
  verbs: [create]
{{- end -}}

{{/*
Cluster-scoped reads needed in both modes:
- namespaces: list/watch (the namespace-selector index; Kopf's namespace observer);
- CRDs: list/watch (Kopf notices our CRDs appearing or changing without a restart).
*/}}
{{- define "ncc-operator.clusterRules" -}}
- apiGroups: [""]
  resources: [namespaces]
  verbs: [list, watch]
- apiGroups: [apiextensions.k8s.io]
  resources: [customresourcedefinitions]
  verbs: [list, watch]
{{- end -}}


{{/*
The leader-election Lease: one per release, so sharded releases (disjoint watchNamespaces) elect
independently.
*/}}
{{- define "ncc-operator.leaseName" -}}
{{ include "ncc-operator.fullname" . }}-leader
{{- end -}}
