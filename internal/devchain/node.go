package devchain

import (
	"errors"
	"fmt"
	"maps"
	"math/big"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/eth"
	"github.com/ethereum/go-ethereum/eth/catalyst"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/eth/filters"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"
)

// payerFundsWei is the payer's genesis ETH balance: one million ETH.
const payerFundsWei = "1000000000000000000000000"

// simNode is a go-ethereum node driven by a simulated beacon, like
// ethclient/simulated's Backend, but with the pieces this package needs in
// reach: the transaction pool (to control what goes into re-mined blocks),
// the blockchain, and an RPC server restricted to the eth/net/web3 APIs.
type simNode struct {
	stack  *node.Node
	eth    *eth.Ethereum
	beacon *catalyst.SimulatedBeacon
	rpc    *rpc.Server
	client *ethclient.Client
	signer types.Signer

	// mu serialises everything that changes the chain: sealing, forking, and
	// adding transactions that must land in a particular block.
	mu sync.Mutex
}

// newSimNode starts an in-memory node whose genesis funds payer.
func newSimNode(chainID uint64, payer common.Address) (*simNode, error) {
	funds, _ := new(big.Int).SetString(payerFundsWei, 10)
	alloc := core.SystemContractAllocs()
	maps.Copy(alloc, types.GenesisAlloc{payer: {Balance: funds}})
	chainConfig := *params.AllDevChainProtocolChanges
	chainConfig.ChainID = new(big.Int).SetUint64(chainID)

	ethConf := ethconfig.Defaults
	ethConf.NetworkId = chainID
	ethConf.Genesis = &core.Genesis{Config: &chainConfig, GasLimit: ethconfig.Defaults.Miner.GasCeil, Alloc: alloc}
	ethConf.SyncMode = ethconfig.FullSync
	ethConf.TxPool.NoLocals = true
	ethConf.LogNoHistory = true // unindexed log search: always consistent with the head

	stack, err := node.New(&node.Config{P2P: p2p.Config{NoDiscovery: true, MaxPeers: 0}})
	if err != nil {
		return nil, fmt.Errorf("create node: %w", err)
	}
	backend, err := eth.New(stack, &ethConf)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("create eth service: %w", err), stack.Close())
	}
	n := &simNode{stack: stack, eth: backend, signer: types.LatestSignerForChainID(chainConfig.ChainID)}
	if err := stack.Start(); err != nil {
		return nil, errors.Join(fmt.Errorf("start node: %w", err), stack.Close())
	}
	if n.beacon, err = catalyst.NewSimulatedBeacon(0, common.Address{}, backend); err != nil {
		return nil, errors.Join(fmt.Errorf("create simulated beacon: %w", err), stack.Close())
	}
	if err := n.beacon.Fork(backend.BlockChain().GetCanonicalHash(0)); err != nil {
		return nil, errors.Join(fmt.Errorf("reset to genesis: %w", err), n.close())
	}
	if n.rpc, err = newRPCServer(backend); err != nil {
		return nil, errors.Join(err, n.close())
	}
	n.client = ethclient.NewClient(rpc.DialInProc(n.rpc))
	return n, nil
}

// newRPCServer registers the public APIs (eth, net, web3) and nothing else:
// no admin, debug, miner or txpool methods are reachable over HTTP.
func newRPCServer(backend *eth.Ethereum) (*rpc.Server, error) {
	srv := rpc.NewServer()
	apis := append(backend.APIs(),
		rpc.API{Namespace: "eth", Service: filters.NewFilterAPI(filters.NewFilterSystem(backend.APIBackend, filters.Config{}))},
		rpc.API{Namespace: "web3", Service: web3API{}},
	)
	for _, api := range apis {
		switch api.Namespace {
		case "eth", "net", "web3":
			if err := srv.RegisterName(api.Namespace, api.Service); err != nil {
				return nil, fmt.Errorf("register %s API: %w", api.Namespace, err)
			}
		}
	}
	return srv, nil
}

// head is the current head block number.
func (n *simNode) head() uint64 { return n.eth.BlockChain().CurrentBlock().Number.Uint64() }

// sealLocked mines one block from the pool's executable transactions. The
// caller holds mu.
func (n *simNode) sealLocked() error {
	before := n.eth.BlockChain().CurrentBlock().Hash()
	after := n.beacon.Commit()
	if after == before {
		return errors.New("sealing a block failed (head did not move)")
	}
	return nil
}

// addLocked puts txs into the pool and waits until the pool has taken them.
// The caller holds mu.
func (n *simNode) addLocked(txs ...*types.Transaction) error {
	for i, err := range n.eth.TxPool().Add(txs, true) {
		if err != nil {
			return fmt.Errorf("add transaction %s to pool: %w", txs[i].Hash().Hex(), err)
		}
	}
	return nil
}

// close stops the beacon, the RPC server and the node.
func (n *simNode) close() error {
	if n.client != nil {
		n.client.Close()
	}
	if n.rpc != nil {
		n.rpc.Stop()
	}
	var err error
	if n.beacon != nil {
		err = n.beacon.Stop()
	}
	return errors.Join(err, n.stack.Close())
}

// web3API serves the web3 namespace (web3_clientVersion, web3_sha3).
type web3API struct{}

// ClientVersion names this chain.
func (web3API) ClientVersion() string { return "epusdt-devchain (go-ethereum simulated backend)" }

// Sha3 returns keccak256 of input.
func (web3API) Sha3(input hexutil.Bytes) hexutil.Bytes { return crypto.Keccak256(input) }
