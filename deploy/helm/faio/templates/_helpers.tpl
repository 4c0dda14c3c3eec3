{{/* Names and labels. A component is one process: an HTTP app (intake) or a worker (audit-worker). */}}
{{- define "faio.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "faio.componentName" -}}
{{- printf "%s-%s" (include "faio.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "faio.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "faio.labels" -}}
{{ include "faio.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Values.image.tag | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{/* The image, pinned: a `latest` or empty tag fails the render rather than drift between pods. */}}
{{- define "faio.image" -}}
{{- $tag := .Values.image.tag | default "" | toString -}}
{{- if or (eq $tag "") (eq $tag "latest") -}}
{{- fail "image.tag must pin a release (not empty, not latest)" -}}
{{- end -}}
{{- if .Values.image.digest -}}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* Replicas on different nodes: preferred ("soft") or required ("hard"). */}}
{{- define "faio.antiAffinity" -}}
podAntiAffinity:
{{- if eq .root.Values.antiAffinity "hard" }}
  requiredDuringSchedulingIgnoredDuringExecution:
    - topologyKey: kubernetes.io/hostname
      labelSelector:
        matchLabels:
          {{- include "faio.selectorLabels" . | nindent 10 }}
{{- else }}
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 100
      podAffinityTerm:
        topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- include "faio.selectorLabels" . | nindent 12 }}
{{- end }}
{{- end -}}

{{/* One HTTP probe from values: {path, periodSeconds, timeoutSeconds, failureThreshold}. */}}
{{- define "faio.probe" -}}
httpGet:
  path: {{ .probe.path }}
  port: {{ .port }}
periodSeconds: {{ .probe.periodSeconds }}
timeoutSeconds: {{ .probe.timeoutSeconds }}
failureThreshold: {{ .probe.failureThreshold }}
{{- end -}}

{{- define "faio.secretEnv" -}}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ .key }}
{{- end -}}

{{/* What every process is told: its database, Temporal, traces and the shared secrets. */}}
{{- define "faio.commonEnv" -}}
{{- $v := .root.Values -}}
- name: FAIO_ENVIRONMENT
  value: {{ $v.environment | quote }}
- name: FAIO_TEMPORAL_ADDRESS
  value: {{ $v.temporal.address | quote }}
- name: FAIO_TEMPORAL_NAMESPACE
  value: {{ $v.temporal.namespace | quote }}
{{- if $v.temporal.tlsSecret }}
- name: FAIO_TEMPORAL_TLS_CLIENT_CERT
  value: /etc/faio/temporal/tls.crt
- name: FAIO_TEMPORAL_TLS_CLIENT_KEY
  value: /etc/faio/temporal/tls.key
- name: FAIO_TEMPORAL_TLS_CA_CERT
  value: /etc/faio/temporal/ca.crt
{{- end }}
{{- if include "faio.temporalToken" . }}
- name: FAIO_TEMPORAL_TOKEN_FILE
  value: /etc/faio/temporal-token/token
{{- end }}
{{- if $v.temporal.codec.keyId }}
- name: FAIO_TEMPORAL_CODEC_KEY_ID
  value: {{ $v.temporal.codec.keyId | quote }}
{{ include "faio.secretEnv" (dict "env" "FAIO_TEMPORAL_CODEC_KEYS" "secret" $v.secrets.app "key" "temporal-codec-keys") }}
{{- end }}
- name: FAIO_OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ $v.otelEndpoint | quote }}
{{ include "faio.secretEnv" (dict "env" "FAIO_DATABASE_URL" "secret" $v.secrets.database "key" .database) }}
{{ include "faio.secretEnv" (dict "env" "FAIO_SECRET_KEY" "secret" $v.secrets.app "key" "secret-key") }}
{{- end -}}

{{/* Kafka over TLS with SCRAM-SHA-512, as the service's own KafkaUser (Strimzi writes its Secret). */}}
{{- define "faio.kafkaEnv" -}}
{{- $v := .root.Values -}}
- name: FAIO_KAFKA_BOOTSTRAP_SERVERS
  value: {{ printf "%s-kafka-bootstrap:%v" $v.kafka.cluster $v.kafka.bootstrapPort | quote }}
- name: FAIO_KAFKA_SECURITY_PROTOCOL
  value: SASL_SSL
- name: FAIO_KAFKA_SASL_USERNAME
  value: {{ include "faio.kafkaUser" . | quote }}
{{ include "faio.secretEnv" (dict "env" "FAIO_KAFKA_SASL_PASSWORD" "secret" (include "faio.kafkaUser" .) "key" "password") }}
- name: FAIO_KAFKA_SSL_CAFILE
  value: /etc/faio/kafka-ca/ca.crt
# Strimzi creates the topics (KafkaTopic); a service's user may not.
- name: FAIO_KAFKA_CREATE_TOPICS
  value: "false"
{{- end -}}

{{- define "faio.kafkaUser" -}}
{{- printf "faio-%s" .name -}}
{{- end -}}

{{/* The Secret of this process's Temporal token, or nothing (no authorizer, or not a Temporal client). */}}
{{- define "faio.temporalToken" -}}
{{- $t := .root.Values.temporal -}}
{{- if and $t.tokenSecretPrefix (has .name $t.clients) -}}
{{- printf "%s%s" $t.tokenSecretPrefix .name -}}
{{- end -}}
{{- end -}}

{{/* Writable places on a read-only root: /tmp, and .local under the app for anything generated. */}}
{{- define "faio.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: local
  mountPath: /app/.local
{{- if .kafka }}
- name: kafka-ca
  mountPath: /etc/faio/kafka-ca
  readOnly: true
{{- end }}
{{- if .root.Values.temporal.tlsSecret }}
- name: temporal-tls
  mountPath: /etc/faio/temporal
  readOnly: true
{{- end }}
{{- if include "faio.temporalToken" . }}
# A directory, not a subPath: the kubelet swaps in a re-issued token, which the process re-reads.
- name: temporal-token
  mountPath: /etc/faio/temporal-token
  readOnly: true
{{- end }}
{{- end -}}

{{- define "faio.volumes" -}}
- name: tmp
  emptyDir: {}
- name: local
  emptyDir: {}
{{- if .kafka }}
- name: kafka-ca
  secret:
    secretName: {{ printf "%s-cluster-ca-cert" .root.Values.kafka.cluster }}
    items: [{key: ca.crt, path: ca.crt}]
{{- end }}
{{- if .root.Values.temporal.tlsSecret }}
- name: temporal-tls
  secret:
    secretName: {{ .root.Values.temporal.tlsSecret }}
{{- end }}
{{- with include "faio.temporalToken" . }}
- name: temporal-token
  secret:
    secretName: {{ . }}
    items: [{key: token, path: token}]
{{- end }}
{{- end -}}

{{/* The pod spec shared by apps and workers; .container is the container's own YAML. */}}
{{- define "faio.podSpec" -}}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .root.Values.podSecurityContext | nindent 2 }}
affinity:
  {{- include "faio.antiAffinity" . | nindent 2 }}
containers:
  - name: {{ .name }}
    image: {{ include "faio.image" .root }}
    imagePullPolicy: {{ .root.Values.image.pullPolicy }}
    securityContext:
      {{- toYaml .root.Values.containerSecurityContext | nindent 6 }}
    {{- .container | nindent 4 }}
    volumeMounts:
      {{- include "faio.volumeMounts" . | nindent 6 }}
volumes:
  {{- include "faio.volumes" . | nindent 2 }}
{{- end -}}
