"""The only reader of params.yaml: frozen, validated pydantic models, one per section.

Every stage gets its settings from here, so a mistake in params.yaml fails loudly, naming its
dotted key (all mistakes at once), instead of silently falling back to a default buried in code.
Imports only pydantic, yaml and the standard library (light commands import it too).
"""

from dlpipe.config.base import Section
from dlpipe.config.loading import (
    ConfigError,
    as_plain,
    build,
    check_params_file,
    load_params,
    params_json_schema,
    write_params_schema,
)
from dlpipe.config.optimizers import OPTIMIZER_HYPERPARAMETERS
from dlpipe.config.params import Params
from dlpipe.config.sections_data import (
    FaceCrawlConfig,
    FaceExtractConfig,
    FaceSplitConfig,
    IdxFile,
    IdxUrlSource,
    MnistConfig,
    MovielensConfig,
    MovielensUrl,
    MovielensWheel,
    PypiWheelSource,
    StockCsvSource,
    StockLargeMove,
    StocksConfig,
    StockWheelSeries,
    WikimediaPreset,
)
from dlpipe.config.sections_face_embedding import (
    FaceEmbeddingConfig,
    FaceModelFile,
    FaceModelFiles,
    UnknownRule,
)
from dlpipe.config.sections_training import (
    AUTOENCODER_NETWORK_KEYS,
    AutoencoderNetwork,
    AutoencoderRun,
    BiasesConfig,
    CompareOptimizersConfig,
    EigenfacesConfig,
    FaceAugment,
    FaceCnnConfig,
    MatrixFactorizationConfig,
    RecommenderConfig,
    StockLstmConfig,
    SurfaceRun,
    TraceOptimizersConfig,
    TrainingConfig,
)

__all__ = [
    "AUTOENCODER_NETWORK_KEYS",
    "OPTIMIZER_HYPERPARAMETERS",
    "AutoencoderNetwork",
    "AutoencoderRun",
    "BiasesConfig",
    "CompareOptimizersConfig",
    "ConfigError",
    "EigenfacesConfig",
    "FaceAugment",
    "FaceCnnConfig",
    "FaceCrawlConfig",
    "FaceEmbeddingConfig",
    "FaceExtractConfig",
    "FaceModelFile",
    "FaceModelFiles",
    "FaceSplitConfig",
    "IdxFile",
    "IdxUrlSource",
    "MatrixFactorizationConfig",
    "MnistConfig",
    "MovielensConfig",
    "MovielensUrl",
    "MovielensWheel",
    "Params",
    "PypiWheelSource",
    "RecommenderConfig",
    "Section",
    "StockCsvSource",
    "StockLargeMove",
    "StockLstmConfig",
    "StockWheelSeries",
    "StocksConfig",
    "SurfaceRun",
    "TraceOptimizersConfig",
    "TrainingConfig",
    "UnknownRule",
    "WikimediaPreset",
    "as_plain",
    "build",
    "check_params_file",
    "load_params",
    "params_json_schema",
    "write_params_schema",
]
