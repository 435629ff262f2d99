package metastore

import "gorm.io/gorm"

// Migration 5: connections (Airflow's connection table). password and extra hold ciphertext
// only (see secrets.go): the key that opens them is never in this file. FROZEN since its
// release.

type v5Connection struct {
	ConnID      string `gorm:"column:conn_id;primaryKey"`
	ConnType    string `gorm:"column:conn_type;not null"`
	Description string `gorm:"column:description;not null;default:('')"`
	Host        string `gorm:"column:host;not null;default:('')"`
	Schema      string `gorm:"column:schema;not null;default:('')"`
	Login       string `gorm:"column:login;not null;default:('')"`
	Password    string `gorm:"column:password;not null;default:('')"`
	Port        int    `gorm:"column:port;not null;default:0"`
	Extra       string `gorm:"column:extra;not null;default:('')"`
}

func (v5Connection) TableName() string { return "connection" }

func migrateV5(tx *gorm.DB) error {
	return tx.Migrator().CreateTable(&v5Connection{})
}
