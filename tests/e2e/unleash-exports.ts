/** An Unleash feature export of one flag, on in production through one flexibleRollout that uses `segments`. */
export function segmentedExport(
  flag: string,
  rollout: number,
  segments: { id: number; name: string; constraints: Record<string, unknown>[] }[],
): Record<string, unknown> {
  return {
    features: [{ name: flag, type: "release", project: "default" }],
    featureEnvironments: [{ featureName: flag, environment: "production", enabled: true }],
    featureStrategies: [
      {
        featureName: flag,
        environment: "production",
        name: "flexibleRollout",
        parameters: { rollout: String(rollout), stickiness: "default", groupId: flag },
        constraints: [],
        segments: segments.map((s) => s.id),
      },
    ],
    segments,
  };
}
