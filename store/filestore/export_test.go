package filestore

// MarshalRecord is marshalRecord, for the external tests that build store
// files directly.
var MarshalRecord = marshalRecord
