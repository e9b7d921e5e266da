import {
  AttributeType,
  addAttribute,
  ChangeRequest,
  getAttribute,
  MappedAddress,
  OtherAddress,
  ResponseOrigin,
  XorMappedAddress,
} from '@parley/stun';
import type { DiscoveryTable } from './behavior-discovery.js';
import type { Request } from './request.js';
import { success, unknownAttributes } from './responses.js';
import type { Action } from './types.js';

const familyOf = (address: string) => (address.includes(':') ? 'IPv6' : 'IPv4');

/**
 * RFC 8489 §6.3.1 Binding request: answer with the source transport address the request came from, as
 * XOR-MAPPED-ADDRESS, plus MAPPED-ADDRESS for RFC 3489 clients. No authentication (RFC 8489 §9).
 *
 * On one of the RFC 5780 discovery sockets the answer also carries OTHER-ADDRESS and RESPONSE-ORIGIN, and
 * CHANGE-REQUEST is honoured: the answer leaves from the socket with the other IP and/or port. Elsewhere a
 * CHANGE-REQUEST that asks for a change gets 420, as RFC 5780 §6.1 says for a server without a second
 * address.
 */
export function handleBinding(req: Request, discovery?: DiscoveryTable): Action[] {
  const mapped = {
    family: familyOf(req.client.address),
    address: req.client.address,
    port: req.client.port,
  } as const;
  const change = getAttribute(req.msg, ChangeRequest);
  const self = req.client.transport === 'udp' ? discovery?.get(req.client.listener) : undefined;
  if (!self || !discovery) {
    if (change && (change.changeIp || change.changePort))
      return unknownAttributes(req, [AttributeType.ChangeRequest]);
    const { action } = success(req, (m) => {
      addAttribute(m, XorMappedAddress, mapped);
      addAttribute(m, MappedAddress, mapped);
    });
    return [action];
  }
  const from = change ? discovery.changed(self, change.changeIp, change.changePort) : self;
  const other = discovery.other(self);
  const { action } = success(req, (m) => {
    addAttribute(m, XorMappedAddress, mapped);
    addAttribute(m, MappedAddress, mapped);
    addAttribute(m, OtherAddress, {
      family: familyOf(other.address),
      address: other.address,
      port: other.port,
    });
    addAttribute(m, ResponseOrigin, {
      family: familyOf(from.address),
      address: from.address,
      port: from.port,
    });
  });
  if (action.kind !== 'to-client') return [action];
  return [{ ...action, client: { ...action.client, listener: from.listener } }];
}
