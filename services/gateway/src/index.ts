export { defaultConsoleDir, gatewayService } from './service.ts';
export type { GatewayOptions } from './service.ts';
