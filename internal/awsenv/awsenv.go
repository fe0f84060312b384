// Package awsenv reads the endpoint overrides that the AWS SDKs honour, so that every AWS client of hopd points where the SDKs would.
package awsenv

import "os"

// Endpoint is the endpoint override for a service, as the SDKs read it:
// AWS_ENDPOINT_URL_<SERVICE> first (for example AWS_ENDPOINT_URL_STS),
// then AWS_ENDPOINT_URL, and none when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS
// is true. "" means the service's regional endpoint. Tests and the demo
// point hopd at a local emulator this way.
func Endpoint(service string) string { return EndpointFrom(os.Getenv, service) }

// EndpointFrom is Endpoint with another source of variables.
func EndpointFrom(getenv func(string) string, service string) string {
	if getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") == "true" {
		return ""
	}
	if v := getenv("AWS_ENDPOINT_URL_" + service); v != "" {
		return v
	}
	return getenv("AWS_ENDPOINT_URL")
}
