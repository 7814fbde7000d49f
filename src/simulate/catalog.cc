#include "simulate/catalog.h"

namespace podpower::simulate {

std::string PatternName(Pattern pattern) {
  switch (pattern) {
    case Pattern::kSteady:
      return "steady";
    case Pattern::kDiurnal:
      return "diurnal";
    case Pattern::kBursty:
      return "bursty";
    case Pattern::kBatch:
    default:
      return "batch";
  }
}

const std::vector<Template>& Catalog() {
  using P = Pattern;
  // clang-format off
  static const std::vector<Template> catalog = {
    {"nginx", "web", "Deployment", {"nginx:1.25.3", "nginx:1.27-alpine", "docker.io/library/nginx:1.26"},
     {}, {"nginx", "-g", "daemon off;"}, 100, 128, 2, 2, 6, 0, "", 0, false, false,
     {"configMap", "emptyDir"}, 1.5, 6, 0.35, 0, P::kDiurnal, 0.08},
    {"httpd", "web", "Deployment", {"httpd:2.4.58", "httpd:2.4-alpine"},
     {"httpd-foreground"}, {}, 200, 256, 2, 1, 4, 0, "", 0, false, false,
     {"configMap"}, 2, 7, 0.3, 0, P::kDiurnal, 0.08},
    {"node", "web", "Deployment", {"node:20-alpine", "node:18.19-bullseye-slim"},
     {"node"}, {"server.js", "--port", "8080"}, 250, 512, 2, 2, 5, 0, "", 0, true, false,
     {"configMap", "secret"}, 2.5, 9, 0.4, 0, P::kDiurnal, 0.1},
    {"python", "web", "Deployment", {"python:3.12-slim", "python:3.11-slim-bookworm"},
     {"gunicorn"}, {"app:app", "--workers", "4", "--bind", "0.0.0.0:8000"}, 500, 512, 2, 1, 4, 0, "", 0, true, false,
     {"secret"}, 3, 9, 0.45, 0, P::kDiurnal, 0.1},
    {"postgres", "database", "StatefulSet", {"postgres:16.1", "postgres:15-alpine", "bitnami/postgresql:16.2.0"},
     {}, {"-c", "max_connections=200", "-c", "shared_buffers=256MB"}, 1000, 2048, 2, 1, 3, 0, "", 0, true, true,
     {"persistentVolumeClaim", "secret"}, 6, 11, 0.35, 0, P::kDiurnal, 0.06},
    {"mysql", "database", "StatefulSet", {"mysql:8.0.35", "bitnami/mysql:8.2"},
     {}, {"--default-authentication-plugin=mysql_native_password"}, 1000, 2048, 2, 1, 3, 0, "", 0, false, true,
     {"persistentVolumeClaim", "secret"}, 6, 10, 0.35, 0, P::kDiurnal, 0.06},
    {"mongo", "database", "StatefulSet", {"mongo:7.0.4", "mongo:6.0"},
     {"mongod"}, {"--replSet", "rs0", "--bind_ip_all"}, 750, 2048, 2, 3, 3, 0, "", 0, false, false,
     {"persistentVolumeClaim"}, 5, 10, 0.3, 0, P::kBursty, 0.08},
    {"redis", "cache", "Deployment", {"redis:7.2.3", "redis:7-alpine", "bitnami/redis:7.2"},
     {"redis-server"}, {"--maxmemory", "512mb", "--maxmemory-policy", "allkeys-lru"}, 200, 640, 1.5, 1, 3, 0, "", 0, false, false,
     {"emptyDir"}, 1.2, 7, 0.25, 0, P::kSteady, 0.05},
    {"memcached", "cache", "Deployment", {"memcached:1.6.22", "memcached:1.6-alpine"},
     {"memcached"}, {"-m", "1024", "-c", "4096"}, 200, 1152, 1.5, 2, 4, 0, "", 0, false, false,
     {}, 1, 6, 0.2, 0, P::kSteady, 0.05},
    {"rabbitmq", "queue", "StatefulSet", {"rabbitmq:3.12-management", "bitnami/rabbitmq:3.12"},
     {}, {}, 500, 1024, 2, 1, 3, 0, "", 0, false, true,
     {"persistentVolumeClaim", "configMap"}, 3, 8, 0.3, 0, P::kBursty, 0.1},
    {"kafka", "queue", "StatefulSet", {"bitnami/kafka:3.6.1", "apache/kafka:3.7.0"},
     {}, {}, 1000, 3072, 2, 3, 3, 0, "", 0, false, false,
     {"persistentVolumeClaim"}, 5, 9, 0.4, 0, P::kSteady, 0.07},
    {"elasticsearch", "search", "StatefulSet", {"docker.elastic.co/elasticsearch/elasticsearch:8.11.3"},
     {}, {}, 2000, 4096, 1.5, 1, 3, 0, "", 0, false, true,
     {"persistentVolumeClaim"}, 8, 10, 0.35, 0, P::kBursty, 0.08},
    {"fluent-bit", "logging", "DaemonSet", {"fluent/fluent-bit:2.2.0", "cr.fluentbit.io/fluent/fluent-bit:3.0"},
     {"/fluent-bit/bin/fluent-bit"}, {"-c", "/fluent-bit/etc/fluent-bit.conf"}, 100, 64, 4, 3, 3, 0, "", 0, false, false,
     {"hostPath", "configMap"}, 0.8, 6, 0.25, 0, P::kSteady, 0.05},
    {"spark", "batch", "Job", {"apache/spark:3.5.0", "bitnami/spark:3.5"},
     {"/opt/spark/bin/spark-submit"}, {"--class", "org.apache.spark.examples.SparkPi", "local:///opt/spark/examples/jars/spark-examples.jar", "10000"},
     2000, 4096, 1, 2, 6, 0, "", 25, false, false, {"emptyDir"}, 4, 12, 0.85, 0, P::kBatch, 0.06},
    {"ffmpeg", "batch", "Job", {"jrottenberg/ffmpeg:6.1-ubuntu", "linuxserver/ffmpeg:6.0"},
     {"ffmpeg"}, {"-i", "/in/video.mp4", "-c:v", "libx264", "-preset", "slow", "/out/video.mkv"},
     4000, 2048, 1, 1, 4, 0, "", 20, false, false, {"persistentVolumeClaim"}, 3, 12, 0.95, 0, P::kBatch, 0.05},
    {"pytorch", "ml-training", "Job", {"pytorch/pytorch:2.1.2-cuda12.1-cudnn8-runtime", "nvcr.io/nvidia/pytorch:23.12-py3"},
     {"python"}, {"train.py", "--epochs", "20", "--batch-size", "256"}, 4000, 16384, 1, 1, 2, 1, "", 40, false, true,
     {"persistentVolumeClaim", "emptyDir"}, 10, 8, 0.6, 180, P::kBatch, 0.05},
    {"tensorflow", "ml-serving", "Deployment", {"tensorflow/serving:2.14.1-gpu", "tensorflow/serving:2.14.1"},
     {}, {"--model_name=resnet", "--model_base_path=/models/resnet"}, 2000, 4096, 1.5, 1, 2, 1, "", 0, false, false,
     {"persistentVolumeClaim"}, 8, 8, 0.3, 90, P::kDiurnal, 0.08},
    {"pg-dump", "backup", "CronJob", {"postgres:16.1", "bitnami/postgresql:16.2.0"},
     {"/bin/sh", "-c"}, {"pg_dump -h db -U app app | gzip > /backup/app-$(date +%F).sql.gz"}, 250, 256, 2, 1, 1, 0,
     "0 * * * *", 6, false, false, {"persistentVolumeClaim", "secret"}, 1.5, 9, 0.7, 0, P::kBatch, 0.06},
    {"restic", "backup", "CronJob", {"restic/restic:0.16.2"},
     {"restic"}, {"backup", "/data", "--tag", "nightly"}, 500, 512, 2, 1, 1, 0,
     "30 */2 * * *", 10, false, false, {"persistentVolumeClaim", "secret"}, 2, 9, 0.6, 0, P::kBatch, 0.06},
    {"prometheus", "monitoring", "StatefulSet", {"prom/prometheus:v2.48.1", "quay.io/prometheus/prometheus:v2.49.0"},
     {}, {"--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.retention.time=15d"}, 500, 2048, 2, 1, 2, 0, "", 0, true, false,
     {"persistentVolumeClaim", "configMap"}, 3, 8, 0.3, 0, P::kSteady, 0.05},
    {"grafana", "monitoring", "Deployment", {"grafana/grafana:10.2.3"},
     {}, {}, 100, 256, 2, 1, 2, 0, "", 0, false, false,
     {"configMap", "secret"}, 1, 6, 0.15, 0, P::kBursty, 0.1},
  };
  // clang-format on
  return catalog;
}

}  // namespace podpower::simulate
