package sandbox

import "time"

// The contract's wire types are the platform package's (bff/platform), shared with the BFF.
// The types below are the sandbox's own inspection answers, outside the contract.

// LedgerEntry is one movement of a shopper's balance.
type LedgerEntry struct {
	At            time.Time `json:"At"`
	Kind          string    `json:"Kind"` // "debit" or "credit"
	Points        int64     `json:"Points"`
	Cashback      float64   `json:"Cashback"`
	RedeemedID    int64     `json:"RedeemedId"`
	RewardID      int64     `json:"RewardId"`
	PointsAfter   int64     `json:"PointsAfter"`
	CashbackAfter float64   `json:"CashbackAfter"`
}

// RedemptionView is a redemption as the inspection endpoints show it.
type RedemptionView struct {
	RedeemedID int64   `json:"RedeemedId"`
	RewardID   int64   `json:"RewardId"`
	RewardType int     `json:"RewardType"`
	Title      string  `json:"Title"`
	Points     int64   `json:"Points"`
	Value      float64 `json:"Value"` // percent (type 0), amount (1), cashback used (3)
	// MinValueToUse is the reward's minimum purchase (0: none): the store's promotion for the
	// coupon gives no discount below it.
	MinValueToUse float64   `json:"MinValueToUse"`
	CouponCode    string    `json:"CouponCode"`
	Cart          string    `json:"Cart"`
	State         string    `json:"State"` // "active", "reversed" or "used"
	At            time.Time `json:"At"`
}

// ShopperView is the inspection endpoint's answer.
type ShopperView struct {
	UserID      string           `json:"UserId"`
	Name        string           `json:"Name"`
	Email       string           `json:"Email"`
	Enrolled    bool             `json:"Enrolled"`
	Points      int64            `json:"Points"`
	Cashback    float64          `json:"Cashback"`
	Ledger      []LedgerEntry    `json:"Ledger"`
	Redemptions []RedemptionView `json:"Redemptions"`
}
