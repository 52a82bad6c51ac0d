package bff

// callClass is what a platform call is for, in the order the store's budget serves them:
// money calls (redeem, use-redeemed, reverse, the applied state) first, then logins, then
// listings. A listing never spends the part of a window kept for the classes above it.
type callClass uint8

const (
	classMoney callClass = iota
	classLogin
	classListing
	numClasses
)

func (c callClass) String() string {
	switch c {
	case classMoney:
		return "money"
	case classLogin:
		return "login"
	case classListing:
		return "listing"
	}
	return "unknown"
}
