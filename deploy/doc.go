// Package deploy holds what an operator deploys the BFF with: the container image
// (Containerfile, built by build-image), the Kubernetes manifests (k8s/), and the Prometheus
// alert and recording rules (prometheus/). It has no code: its tests build the image and run
// it as production would (two replicas on one Redis, SIGTERM, podman kube play of the
// manifests) and check the rules with promtool.
package deploy
