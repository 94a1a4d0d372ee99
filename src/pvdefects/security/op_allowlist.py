"""The op types an untrusted model may use, by kind: pure computation on tensors in memory.

A challenge scores everyone's models, so the list holds every op that inference with ordinary
TensorFlow and Keras code produces: the math, array, image and neural-network ops (Keras
``Concatenate``, depthwise convolutions, average pooling, padding, softmax, ReLU6/swish/GELU,
fused batch norm from tf.keras 2, layer norm, attention), functional control flow and variables
held in memory. Each op is listed by name (so that a new TensorFlow version adds nothing by
itself), in the group of its kind; anything else is refused, unknown and custom ops included.

Left out on purpose, whatever they compute:

- anything that reads, writes, lists or maps files, or reaches the network: ``ReadFile``,
  ``WriteFile``, ``MatchingFiles``, ``ImmutableConst`` (memory-maps a file), every dataset,
  reader, queue, lookup-table, checkpoint (outside the saver functions), collective, RPC, TPU
  and summary op;
- printing, logging and debugging: ``Print``, ``PrintV2``, ``Debug*``, ``Timestamp``, ``Abort``;
- Python callbacks: ``PyFunc``, ``EagerPyFunc``;
- string ops and codecs (``DecodePng``, ``DecodeJpeg``, ...): they parse bytes, and a model's
  input is already float pixels;
- ops that return uninitialised memory (``Empty``) or keep state beyond variables (stateful
  random generators, mutexes, stacks, TF1 reference variables and TF1 control flow);
- quantized and gradient kernels: inference with float models needs neither, and they only add
  kernels that could be attacked.

The tests (tests/security/test_op_allowlist.py) check that every name is an op registered in
TensorFlow, that none takes or returns strings, that the only stateful ones are variables, calls
and checks, and that a representative set of ``keras.applications`` architectures passes.
"""

from __future__ import annotations


def _ops(text: str) -> frozenset[str]:
    return frozenset(text.split())


OP_GROUPS: dict[str, frozenset[str]] = {
    "graph plumbing": _ops(
        """
        Const Identity IdentityN NoOp Placeholder PlaceholderWithDefault StopGradient PreventGradient
        Snapshot EnsureShape
        """
    ),
    "checks (stop the call with an error, write nothing)": _ops("Assert CheckNumerics CheckNumericsV2"),
    "resource variables (in memory only)": _ops(
        """
        VarHandleOp ReadVariableOp AssignVariableOp AssignAddVariableOp AssignSubVariableOp
        VarIsInitializedOp VariableShape ResourceGather ResourceGatherNd
        """
    ),
    "function calls and control flow (their functions are checked too)": _ops(
        "StatefulPartitionedCall PartitionedCall If StatelessIf While StatelessWhile Case StatelessCase"
    ),
    "tensor lists (TensorArray, loops)": _ops(
        """
        EmptyTensorList TensorListReserve TensorListFromTensor TensorListStack TensorListGetItem
        TensorListSetItem TensorListLength TensorListElementShape TensorListPushBack TensorListPopBack
        TensorListGather TensorListScatterIntoExistingList TensorListScatterV2 TensorListConcatV2
        TensorListSplit TensorListResize
        """
    ),
    "element-wise math": _ops(
        """
        Abs Acos Acosh Add AddN AddV2 Angle Asin Asinh Atan Atan2 Atanh Betainc Cast Ceil ClipByValue
        Complex ComplexAbs Conj Cos Cosh Digamma Div DivNoNan Erf Erfc Erfinv Exp Expm1 Floor FloorDiv
        FloorMod Igamma Igammac Imag Inv Lgamma Log Log1p Maximum Minimum Mod Mul MulNoNan Ndtri Neg
        NextAfter Polygamma Pow Real RealDiv Reciprocal Rint Round Rsqrt Sigmoid Sign Sin Sinh Sqrt
        Square SquaredDifference Sub Tan Tanh TruncateDiv TruncateMod Xdivy Xlog1py Xlogy Zeta
        BesselI0 BesselI0e BesselI1 BesselI1e BesselJ0 BesselJ1 BesselK0 BesselK0e BesselK1 BesselK1e
        BesselY0 BesselY1 Dawsn Expint FresnelCos FresnelSin Spence
        """
    ),
    "comparisons, logic and bits": _ops(
        """
        Equal NotEqual Greater GreaterEqual Less LessEqual ApproximateEqual IsFinite IsInf IsNan
        LogicalAnd LogicalNot LogicalOr Select SelectV2 BitwiseAnd BitwiseOr BitwiseXor Invert
        LeftShift RightShift PopulationCount
        """
    ),
    "reductions, scans and segments": _ops(
        """
        All Any ArgMax ArgMin EuclideanNorm Max Mean Min Prod Sum Cumprod Cumsum CumulativeLogsumexp
        SegmentMax SegmentMean SegmentMin SegmentProd SegmentSum UnsortedSegmentMax UnsortedSegmentMin
        UnsortedSegmentProd UnsortedSegmentSum Bincount DenseBincount Bucketize HistogramFixedWidth
        """
    ),
    "linear algebra and transforms": _ops(
        """
        MatMul BatchMatMul BatchMatMulV2 BatchMatMulV3 Einsum Cross Cholesky Eig Lu MatrixDeterminant
        LogMatrixDeterminant MatrixExponential MatrixInverse MatrixLogarithm MatrixSolve MatrixSolveLs
        MatrixSquareRoot MatrixTriangularSolve BandedTriangularSolve Qr SelfAdjointEigV2 Svd
        TridiagonalMatMul TridiagonalSolve FFT FFT2D FFT3D FFTND IFFT IFFT2D IFFT3D IFFTND RFFT RFFT2D
        RFFT3D RFFTND IRFFT IRFFT2D IRFFT3D IRFFTND
        """
    ),
    "arrays: shapes, slicing, joining, gathering, padding": _ops(
        """
        Shape ShapeN Size Rank Reshape Squeeze ExpandDims Pack Unpack Concat ConcatV2 ConcatOffset
        Split SplitV Slice StridedSlice TensorStridedSliceUpdate Tile Transpose ConjugateTranspose
        Reverse ReverseV2 ReverseSequence Roll Fill ZerosLike OnesLike Range LinSpace BroadcastTo
        BroadcastArgs BroadcastGradientArgs Gather GatherV2 GatherNd ScatterNd ScatterNdNonAliasingAdd
        TensorScatterAdd TensorScatterMax TensorScatterMin TensorScatterSub TensorScatterUpdate
        InplaceAdd InplaceSub InplaceUpdate Pad PadV2 MirrorPad OneHot Where Unique UniqueV2
        UniqueWithCounts UniqueWithCountsV2 ListDiff InvertPermutation UnravelIndex LowerBound
        UpperBound Bitcast DepthToSpace SpaceToDepth BatchToSpace BatchToSpaceND SpaceToBatch
        SpaceToBatchND Diag DiagPart MatrixBandPart MatrixDiag MatrixDiagV2 MatrixDiagV3 MatrixDiagPart
        MatrixDiagPartV2 MatrixDiagPartV3 MatrixSetDiag MatrixSetDiagV2 MatrixSetDiagV3
        ExtractImagePatches ExtractVolumePatches DynamicPartition DynamicStitch ParallelDynamicStitch
        TopK TopKV2 ApproxTopK NthElement InTopK InTopKV2
        """
    ),
    "images: resizing, cropping, colour, boxes": _ops(
        """
        ResizeBilinear ResizeNearestNeighbor ResizeBicubic ResizeArea ScaleAndTranslate CropAndResize
        AdjustContrast AdjustContrastv2 AdjustHue AdjustSaturation RGBToHSV HSVToRGB
        ImageProjectiveTransformV2 ImageProjectiveTransformV3 ExtractGlimpse ExtractGlimpseV2
        NonMaxSuppression NonMaxSuppressionV2 NonMaxSuppressionV3 NonMaxSuppressionV4
        NonMaxSuppressionV5 NonMaxSuppressionWithOverlaps CombinedNonMaxSuppression DrawBoundingBoxes
        DrawBoundingBoxesV2
        """
    ),
    "neural networks: convolution, pooling, normalisation, activations": _ops(
        """
        Conv Conv2D Conv3D Conv2DBackpropInput Conv2DBackpropInputV2 Conv3DBackpropInputV2
        DepthwiseConv2dNative DepthwiseConv2dNativeBackpropInput Dilation2D BiasAdd BiasAddV1 AvgPool
        AvgPool3D MaxPool MaxPoolV2 MaxPool3D MaxPoolWithArgmax FractionalAvgPool FractionalMaxPool
        FusedBatchNorm FusedBatchNormV2 FusedBatchNormV3 BatchNormWithGlobalNormalization LRN L2Loss
        Relu Relu6 Elu Selu LeakyRelu Softplus Softsign Softmax LogSoftmax DataFormatDimMap
        DataFormatVecPermute
        """
    ),
    "stateless random numbers (a function of their seed)": _ops(
        """
        StatelessRandomUniform StatelessRandomNormal StatelessTruncatedNormal StatelessRandomUniformInt
        StatelessRandomUniformFullInt StatelessMultinomial StatelessRandomGetKeyCounter
        StatelessRandomGetKeyCounterAlg StatelessRandomGetAlg StatelessRandomUniformV2
        StatelessRandomNormalV2 StatelessTruncatedNormalV2 StatelessRandomUniformIntV2
        StatelessRandomUniformFullIntV2
        """
    ),
}
ALLOWED_OPS: frozenset[str] = frozenset().union(*OP_GROUPS.values())

# Extra ops of the saver functions (``__inference__traced_save_*`` / ``_traced_restore_*``) only.
CHECKPOINT_OPS: frozenset[str] = _ops(
    "SaveV2 RestoreV2 MergeV2Checkpoints ShardedFilename StringJoin StaticRegexFullMatch DisableCopyOnRead"
)
