package platform

import "crypto/x509"

// TrustForTest makes an https client trust pool's certificates (a test server's own), before
// its first call.
func TrustForTest(c *Client, pool *x509.CertPool) { c.tls.RootCAs = pool }
