export { honestProduct as honestC } from '../../../lib/pog/known-honest.js';
export { commit, proofResponse, rowBytes } from '../../helpers/pog.js';
