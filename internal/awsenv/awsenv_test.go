package awsenv

import "testing"

func TestEndpointFrom(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, ""},
		{map[string]string{"AWS_ENDPOINT_URL": "http://a"}, "http://a"},
		{map[string]string{"AWS_ENDPOINT_URL": "http://a", "AWS_ENDPOINT_URL_STS": "http://s"}, "http://s"},
		{map[string]string{"AWS_ENDPOINT_URL_ORGANIZATIONS": "http://o"}, ""},
		{map[string]string{"AWS_ENDPOINT_URL": "http://a", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, ""},
	}
	for _, tt := range tests {
		if got := EndpointFrom(func(k string) string { return tt.env[k] }, "STS"); got != tt.want {
			t.Errorf("%v: got %q, want %q", tt.env, got, tt.want)
		}
	}
}
