//! Items that generated code names. Not public API: no stability guarantee.
