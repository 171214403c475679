// A profile's thresholds and scenarios are spoken of in the contract's vocabulary (Metric,
// ScenarioKind), so code that reads profiles sees it without a second import.
@_exported import StrainContract
