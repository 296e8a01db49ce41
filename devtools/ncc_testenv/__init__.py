"""A real local Kubernetes control plane (etcd + kube-apiserver) and the tools around it.

Builds the binaries from Go modules under ``tools/controlplane`` (cached outside the repository),
starts them on loopback, writes a kubeconfig, and resolves helm, promtool and kubectl.
"""
