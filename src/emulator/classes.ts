/** The service classes of the fleet: what kind of customer a meter serves. */
export const SERVICE_CLASSES = ['residential', 'commercial', 'industrial'] as const;
export type ServiceClass = (typeof SERVICE_CLASSES)[number];
