// Package platform is the loyalty platform's storefront ("widget") API, written down once: its
// seven paths, the UseReason enum with its names, the wire types of its answers, and a Client
// with one method per endpoint. The BFF calls the platform through the Client; the sandbox
// serves the same paths with the same types.
//
// The wire types keep every field they do not know (Unknown, a JSON object of the members the
// type has no field for) and write it back, and numbers are kept as the platform wrote them
// (Number), so that the BFF passes the platform's answers on unchanged but for what it adds on
// purpose. A documented field the platform leaves out is written back as null. CONTRACT.md,
// beside this file, says what the contract is.
package platform

import "strings"

// The contract's paths, as net/http ServeMux patterns: {platform} and {id} are path segments.
// The listing (GET) and the applied state (POST) share a path.
const (
	PathLogin       = "/pub/widget/vendors/{platform}/securelogin"      // 1. POST
	PathRewards     = "/pub/widget/rewards/checkout"                    // 2. GET
	PathRedeemed    = "/pub/widget/rewards/checkout/redeemed"           // 3. GET
	PathRedeem      = "/pub/widget/rewards/redeem/{id}"                 // 4. POST
	PathUseRedeemed = "/pub/widget/rewardredeemed/checkout/redeem/{id}" // 5. POST
	PathApplied     = "/pub/widget/rewards/checkout"                    // 6. POST
	PathReverse     = "/pub/widget/rewards/checkout/{id}/reverse"       // 7. POST
	PathPrefix      = "/pub/widget"                                     // every path of the contract
	HeaderTenant    = "X-Bq-Tenant"                                     // the store's public key: every call
	HeaderToken     = "X-Bq-SecureToken"                                //nolint:gosec // G101: a header's name, not a credential. The shopper's token: every call but the login
)

// Endpoint is one of the contract's calls.
type Endpoint struct {
	Method, Path string
}

// Endpoints are the contract's seven calls, in its order.
var Endpoints = []Endpoint{
	{"POST", PathLogin}, {"GET", PathRewards}, {"GET", PathRedeemed}, {"POST", PathRedeem},
	{"POST", PathUseRedeemed}, {"POST", PathApplied}, {"POST", PathReverse},
}

// Expand fills a path's one {wildcard} with value (already validated: a platform name or a
// number, nothing to escape).
func Expand(pattern, value string) string {
	i := strings.IndexByte(pattern, '{')
	j := strings.IndexByte(pattern, '}')
	if i < 0 || j < i {
		return pattern
	}
	return pattern[:i] + value + pattern[j+1:]
}

// Param names a path's wildcard ("platform" or "id"), or "".
func Param(pattern string) string {
	i := strings.IndexByte(pattern, '{')
	j := strings.IndexByte(pattern, '}')
	if i < 0 || j < i {
		return ""
	}
	return pattern[i+1 : j]
}
