//go:build tools

// Package tools pins Helm for the chart checks: test/helm/build.sh builds helm.sh/helm/v3/cmd/helm from this module.
package tools

import _ "helm.sh/helm/v3/cmd/helm"
