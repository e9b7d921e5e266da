import { addAttribute, MappedAddress, XorMappedAddress } from '@parley/stun';
import type { Request } from './request.js';
import { success } from './responses.js';
import type { Action } from './types.js';

/**
 * RFC 8489 §6.3.1 Binding request: answer with the source transport address the request came from, as
 * XOR-MAPPED-ADDRESS, plus MAPPED-ADDRESS for RFC 3489 clients. No authentication (RFC 8489 §9).
 */
export function handleBinding(req: Request): Action[] {
  const family = req.client.address.includes(':') ? 'IPv6' : 'IPv4';
  const mapped = { family, address: req.client.address, port: req.client.port } as const;
  const { action } = success(req, (m) => {
    addAttribute(m, XorMappedAddress, mapped);
    addAttribute(m, MappedAddress, mapped);
  });
  return [action];
}
